import Foundation

/// A JSON Lines file read whole: one JSON object per line, blank lines skipped. Each object
/// keeps its 1-based line so that field errors name it (`personas.jsonl:4: field "id": …`).
struct JSONLinesFile {
    /// One line's object and where it is.
    struct Record {
        let path: String
        let line: Int
        let object: [String: Any]

        /// A required string field.
        func string(_ key: String) throws -> String {
            guard let value = object[key] else { throw missing(key) }
            guard let string = value as? String else {
                throw ConversationError.file(
                    path, line: line, field: key, "expected a string, found \(Self.describe(value))"
                )
            }
            return string
        }

        /// A required array of strings, or `defaultValue` when the field is absent and one is given.
        func strings(_ key: String, default defaultValue: [String]? = nil) throws -> [String] {
            guard let value = object[key] else {
                if let defaultValue { return defaultValue }
                throw missing(key)
            }
            guard let array = value as? [Any] else {
                throw ConversationError.file(
                    path, line: line, field: key,
                    "expected an array of strings, found \(Self.describe(value))")
            }
            return try array.enumerated().map { position, element in
                guard let string = element as? String else {
                    throw ConversationError.file(
                        path, line: line, field: "\(key)[\(position)]",
                        "expected a string, found \(Self.describe(element))")
                }
                return string
            }
        }

        private func missing(_ key: String) -> ConversationError {
            ConversationError.file(path, line: line, field: key, "missing")
        }

        /// How a message names a JSON value that has the wrong type.
        static func describe(_ value: Any) -> String {
            switch value {
            case let string as String: "the string \"\(string)\""
            case is NSNull: "null"
            case is [Any]: "an array"
            case is [String: Any]: "an object"
            case let number as NSNumber: "\(number)"
            default: "\(value)"
            }
        }
    }

    let records: [Record]

    /// - Throws: ``ConversationError`` for a file that cannot be read, a file with no objects
    ///   (when `allowsEmpty` is false) and a line that is not a JSON object.
    init(path: String, allowsEmpty: Bool = false) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConversationError.file(path, "cannot be read")
        }
        var records: [Record] = []
        let lines = String(decoding: data, as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8))
            guard let object = object as? [String: Any] else {
                let shown = text.count > 60 ? String(text.prefix(60)) + "…" : text
                throw ConversationError.file(
                    path, line: index + 1, "expected a JSON object, found \(shown)")
            }
            records.append(Record(path: path, line: index + 1, object: object))
        }
        if records.isEmpty && !allowsEmpty {
            throw ConversationError.file(path, "is empty: expected one JSON object per line")
        }
        self.records = records
    }
}
