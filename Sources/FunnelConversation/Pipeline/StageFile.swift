import Foundation

/// The files ECPO's stages leave behind (conversational.md §3: each stage's output is a file,
/// so a run resumes between stages): JSON documents and JSON Lines, written to a temporary
/// name and renamed (a reader sees the old file or the new, never half of one), and read back
/// with errors naming the file and the line.
public enum StageFile {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Whether `path` exists.
    public static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// `value` as pretty-printed JSON.
    public static func writeJSON<Value: Encodable>(_ value: Value, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(value), to: path)
    }

    /// `values` as JSON Lines.
    public static func writeLines<Value: Encodable>(_ values: [Value], to path: String) throws {
        var data = Data()
        for value in values {
            data.append(try encoder.encode(value))
            data.append(0x0A)
        }
        try AtomicFile.write(data, to: path)
    }

    /// The JSON document at `path`.
    public static func readJSON<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConversationError.file(path, "cannot be read") }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ConversationError.file(path, field: fieldPath(of: error), "not a valid \(type): \(reason(of: error))")
        }
    }

    /// The JSON Lines at `path`; an empty line is skipped.
    public static func readLines<Value: Decodable>(_ type: Value.Type, from path: String) throws -> [Value] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConversationError.file(path, "cannot be read") }
        var values: [Value] = []
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do {
                values.append(try JSONDecoder().decode(type, from: Data(line)))
            } catch {
                throw ConversationError.file(path, line: index + 1, field: fieldPath(of: error), reason(of: error))
            }
        }
        return values
    }

    /// The dotted path of a decoding error's field, `nil` at the top level.
    static func fieldPath(of error: any Error) -> String? {
        let path: [any CodingKey]
        switch error as? DecodingError {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        default: return nil
        }
        guard !path.isEmpty else { return nil }
        return path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }

    /// A decoding error in plain words.
    static func reason(of error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound: return "missing"
        case .typeMismatch(let type, _): return "expected \(type)"
        case .valueNotFound(let type, _): return "expected \(type), found null"
        case .dataCorrupted(let context): return context.underlyingError == nil ? context.debugDescription : "not JSON"
        default: return "\(error)"
        }
    }
}

/// A stage's output built one record at a time: each finished record is appended to
/// `<path>.partial` and flushed, so an interrupted stage resumes after its last whole record
/// (a torn last line is dropped); ``finish()`` renames the journal to `path`.
public final class StageJournal<Record: Codable> {
    public let path: String
    private var partialPath: String { path + ".partial" }
    /// The records written so far (those read back on resume first).
    public private(set) var records: [Record] = []
    private let handle: FileHandle

    /// Opens the journal of `path`, reading back the whole records of an earlier attempt.
    /// - Throws: ``ConversationError`` naming the journal and the line of a record that is not
    ///   the last and does not decode.
    public init(path: String) throws {
        self.path = path
        let partial = path + ".partial"
        var kept = Data()
        if let data = FileManager.default.contents(atPath: partial) {
            let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() where !line.isEmpty {
                let isLast = index == lines.count - 1
                do {
                    records.append(try JSONDecoder().decode(Record.self, from: Data(line)))
                    kept.append(Data(line))
                    kept.append(0x0A)
                } catch where isLast {
                    break  // a record cut by the interruption: written again
                } catch {
                    throw ConversationError.file(partial, line: index + 1, field: StageFile.fieldPath(of: error), StageFile.reason(of: error))
                }
            }
        }
        try AtomicFile.write(kept, to: partial)
        guard let handle = FileHandle(forWritingAtPath: partial) else { throw ConversationError.file(partial, "cannot be opened for writing") }
        try handle.seekToEnd()
        self.handle = handle
    }

    /// Appends `record` and flushes it to disk.
    public func append(_ record: Record) throws {
        var line = try StageFile.encoder.encode(record)
        line.append(0x0A)
        try handle.write(contentsOf: line)
        try handle.synchronize()
        records.append(record)
    }

    /// Closes the journal and renames it to ``path``.
    public func finish() throws {
        try handle.close()
        _ = try? FileManager.default.removeItem(atPath: path)
        do {
            try FileManager.default.moveItem(atPath: partialPath, toPath: path)
        } catch {
            throw ConversationError.file(path, "cannot be written: \(error.localizedDescription)")
        }
    }
}
