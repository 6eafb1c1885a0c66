import Foundation
import FunnelData

/// The bodies of the scoring routes, read with the field path in every refusal:
/// - `/v1/score`: `{"rows": [{"<column>": value, …}, …]}`;
/// - `/v1/rank`: `{"history": [item, …], "k": 10?, "exclude": [item, …]?, "row": {…}?}`.
///
/// A value is what a dataset file's field holds: a string, or a number, taken as the text it is
/// written with (so `7` and `"7"` are the same id, and `7.0` is what a file's `7.0` is: another
/// token, or refused by an identity vocabulary); `true`/`false` as 1/0; `null` or `""` for an empty field; an array
/// of strings and numbers for an id or timestamp list. Other members are ignored.
enum ScoringRequest {
    /// The rows of a `/v1/score` body.
    /// - Throws: ``InvalidRequestError`` naming the field, ``ScoringLimitError`` past `maximumRows`.
    static func rows(_ data: Data, maximumRows: Int) throws -> [[String: RowField]] {
        let body = try object(data)
        guard let value = body["rows"] else { throw InvalidRequestError("missing required field 'rows' (an array of objects)") }
        guard case .array(let rows) = value else { throw InvalidRequestError("'rows' must be an array of objects") }
        guard !rows.isEmpty else { throw InvalidRequestError("'rows' is empty") }
        guard rows.count <= maximumRows else {
            throw ScoringLimitError(message: "'rows' holds \(rows.count) rows; at most \(maximumRows) per request")
        }
        return try rows.enumerated().map { index, row in try fields(row, path: "rows[\(index)]") }
    }

    /// A `/v1/rank` body: the history, how many items, the excluded items and the other fields.
    static func ranking(_ data: Data, maximumCount: Int) throws -> (history: [String], count: Int, excluding: [String], row: [String: RowField]) {
        let body = try object(data)
        guard let historyValue = body["history"] else { throw InvalidRequestError("missing required field 'history' (an array of items)") }
        let history = try list(historyValue, path: "history")
        var count = 10
        if let value = body["k"] {
            guard case .number(let text) = value, let parsed = Int(text) else { throw InvalidRequestError("'k' must be an integer") }
            count = parsed
        }
        guard (1...maximumCount).contains(count) else { throw InvalidRequestError("'k' must be in 1...\(maximumCount) (found \(count))") }
        let excluding = try body["exclude"].map { try list($0, path: "exclude") } ?? []
        let row = try body["row"].map { try fields($0, path: "row") } ?? [:]
        return (history, count, excluding, row)
    }

    private static func object(_ data: Data) throws -> JSONNode {
        let body = try JSONNode.parse(Array(data))
        guard case .object = body else { throw InvalidRequestError("the body must be a JSON object") }
        return body
    }

    /// A row object's fields.
    private static func fields(_ row: JSONNode, path: String) throws -> [String: RowField] {
        guard case .object(let members) = row else { throw InvalidRequestError("'\(path)' must be an object of column values") }
        var fields: [String: RowField] = [:]
        fields.reserveCapacity(members.count)
        for (column, value) in members {
            switch value {
            case .string(let text): fields[column] = text.isEmpty ? .missing : .text(text)
            case .number(let text): fields[column] = .text(text)
            case .bool(let flag): fields[column] = .text(flag ? "1" : "0")
            case .null: fields[column] = .missing
            case .array: fields[column] = .list(try list(value, path: "\(path).\(column)"))
            case .object:
                throw InvalidRequestError("\(path).\(column): expected a string, a number, null or a list, found an object")
            }
        }
        return fields
    }

    /// The elements of a list of strings and numbers.
    private static func list(_ value: JSONNode, path: String) throws -> [String] {
        guard case .array(let elements) = value else { throw InvalidRequestError("'\(path)' must be an array of strings or numbers") }
        return try elements.enumerated().map { index, element in
            switch element {
            case .string(let text), .number(let text): return text
            default: throw InvalidRequestError("\(path)[\(index)]: expected a string or a number")
            }
        }
    }
}

/// A request past one of the server's limits (HTTP 413).
struct ScoringLimitError: Error {
    var message: String
}
