import Foundation
import FunnelData

/// The bodies of the scoring routes, read with the field path in every refusal:
/// - `/v1/score`: `{"rows": [{"<column>": value, …}, …]}`;
/// - `/v1/rank`: `{"history": [item, …], "k": 10?, "exclude": [item, …]?, "row": {…}?}`.
///
/// A value is what a dataset file's field holds: a string, a number (integers are written as
/// integers, so `7` and `"7"` are the same id), `true`/`false` as 1/0, `null` or an empty string
/// for an empty field, or an array of strings and integers for an id or timestamp list.
enum ScoringRequest {
    /// A JSON value as the scoring routes accept it.
    private enum Value: Decodable {
        case text(String)
        case list([String])
        case missing
        case object

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .missing
            } else if let text = Self.scalar(container) {
                self = .text(text)
            } else if let array = try? container.decode([Element].self) {
                self = .list(array.map(\.text))
            } else {
                self = .object
            }
        }

        static func scalar(_ container: any SingleValueDecodingContainer) -> String? {
            if let flag = try? container.decode(Bool.self) { return flag ? "1" : "0" }
            if let integer = try? container.decode(Int64.self) { return String(integer) }
            if let number = try? container.decode(Double.self) { return "\(number)" }
            return try? container.decode(String.self)
        }
    }

    /// One element of a list: a string or a number.
    private struct Element: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            guard let text = Value.scalar(container) else {
                throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath, debugDescription: "a list element must be a string or a number"))
            }
            self.text = text
        }
    }

    private struct ScoreBody: Decodable {
        var rows: [[String: Value]]?
    }

    private struct RankBody: Decodable {
        var history: [Element]?
        var k: Int?
        var exclude: [Element]?
        var row: [String: Value]?
    }

    /// The rows of a `/v1/score` body.
    /// - Throws: ``InvalidRequestError`` naming the field, ``ScoringLimitError`` past `maximumRows`.
    static func rows(_ data: Data, maximumRows: Int) throws -> [[String: RowField]] {
        let body = try decode(ScoreBody.self, data)
        guard let rows = body.rows else { throw InvalidRequestError("missing required field 'rows' (an array of objects)") }
        guard !rows.isEmpty else { throw InvalidRequestError("'rows' is empty") }
        guard rows.count <= maximumRows else {
            throw ScoringLimitError(message: "'rows' holds \(rows.count) rows; at most \(maximumRows) per request")
        }
        return try rows.enumerated().map { index, row in try fields(row, path: "rows[\(index)]") }
    }

    /// A `/v1/rank` body: the history, how many items, the excluded items and the other fields.
    static func ranking(_ data: Data, maximumCount: Int) throws -> (history: [String], count: Int, excluding: [String], row: [String: RowField]) {
        let body = try decode(RankBody.self, data)
        guard let history = body.history else { throw InvalidRequestError("missing required field 'history' (an array of items)") }
        let count = body.k ?? 10
        guard (1...maximumCount).contains(count) else { throw InvalidRequestError("'k' must be in 1...\(maximumCount) (found \(count))") }
        return (history.map(\.text), count, (body.exclude ?? []).map(\.text), try fields(body.row ?? [:], path: "row"))
    }

    private static func fields(_ row: [String: Value], path: String) throws -> [String: RowField] {
        try row.mapValues { value in
            switch value {
            case .text(let text): return text.isEmpty ? .missing : .text(text)
            case .list(let elements): return .list(elements)
            case .missing: return .missing
            case .object:
                let column = row.first { if case .object = $0.value { true } else { false } }?.key ?? "?"
                throw InvalidRequestError("\(path).\(column): expected a string, a number, null or a list, found an object")
            }
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw InvalidRequestError(describe(error, data))
        }
    }

    /// A decoding error as `path: what`.
    private static func describe(_ error: DecodingError, _ data: Data) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.reduce("") { text, key in
                key.intValue.map { text + "[\($0)]" } ?? (text.isEmpty ? key.stringValue : text + "." + key.stringValue)
            }
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // JSONDecoder does not say where; the parser of JSONSerialization does.
            var location: String?
            do {
                _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            } catch {
                location = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            }
            return "the body is not valid JSON" + (location.map { " (\($0))" } ?? "")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let location = path(context)
            return (location.isEmpty ? "the body" : "'\(location)'") + ": " + (context.debugDescription.isEmpty ? "wrong type" : context.debugDescription)
        case .keyNotFound(let key, let context):
            return "missing field '\(([path(context)] + [key.stringValue]).filter { !$0.isEmpty }.joined(separator: "."))'"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A request past one of the server's limits (HTTP 413).
struct ScoringLimitError: Error {
    var message: String
}
