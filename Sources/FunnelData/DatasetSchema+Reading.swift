import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DatasetSchema {
    /// Reads and checks `directory/schema.json`.
    public static func read(directory: String) throws -> DatasetSchema {
        let path = directory + "/schema.json"
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be opened" : "no such file"
            throw DataError.unreadable(path: path, reason: reason)
        }
        return try decode(data, path: path)
    }

    /// Decodes and checks the text of a `schema.json` (``path`` names it in errors): unknown and
    /// duplicate keys, unknown enumeration values (the valid ones are listed), numbers out of
    /// range and table files outside the folder are refused with the field's path, before
    /// anything is allocated or read.
    public static func decode(_ data: Data, path: String) throws -> DatasetSchema {
        do {
            try JSONChecker.check(data, shape: jsonShape)
        } catch {
            throw DataError.invalidSchema(path: path, reason: error.description)
        }
        let schema: DatasetSchema
        do {
            schema = try JSONDecoder().decode(DatasetSchema.self, from: data)
        } catch let error as DecodingError {
            throw DataError.invalidSchema(path: path, reason: error.readableDescription)
        } catch {
            throw DataError.invalidSchema(path: path, reason: "\(error)".truncatedForMessage(200))
        }
        try schema.validate(path: path)
        return schema
    }

    /// The keys `schema.json` may hold, object by object.
    public static let jsonShape: JSONChecker.Shape = {
        let table = JSONChecker.Shape.object(["file": .any, "delimiter": .any, "header": .any])
        let vocabulary = JSONChecker.Shape.object([
            "built": .object(["minimumCount": .integer]),
            "hashed": .object(["buckets": .integer]),
            "identity": .object(["size": .integer]),
        ])
        let column = JSONChecker.Shape.object([
            "name": .any, "kind": .any, "role": .any, "vocabulary": vocabulary, "separator": .any,
            "empty": .any, "defaultValue": .any, "vocabularyOf": .any, "truthOf": .any, "truthGiven": .any,
        ])
        let side = JSONChecker.Shape.object([
            "name": .any, "table": table, "key": .any, "columns": .array(column),
        ])
        return .object([
            "name": .any, "tables": .dictionary(table), "columns": .array(column), "sideTables": .array(side),
            "badRows": .any, "vocabularySplit": .any, "notes": .any, "storage": .any, "rankingTruth": .any,
        ])
    }()

    /// Writes `directory/schema.json` (through a temporary file and a rename).
    public func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: directory + "/schema.json")
    }

    func validate(path: String) throws {
        func fail(_ field: String, _ problem: String) -> DataError {
            .invalidSchema(path: path, reason: "field '\(field)' \(problem)")
        }
        for (split, table) in tables.sorted(by: { $0.key < $1.key }) {
            try table.validate(field: "tables.\(split.truncatedForMessage())", fail)
        }
        for (split, file) in (rankingTruth ?? [:]).sorted(by: { $0.key < $1.key }) {
            let field = "rankingTruth.\(split.truncatedForMessage())"
            if let problem = TableFile.pathProblem(file) { throw fail(field, "is '\(file.truncatedForMessage())'; \(problem)") }
            guard tables[split] != nil else {
                throw fail(field, "names a split that is not among the tables (\(tables.keys.sorted().joined(separator: ", ")))")
            }
        }
        var names = Set<String>()
        for (index, column) in columns.enumerated() {
            try column.validate(field: "columns[\(index)]", fail)
            guard names.insert(column.name).inserted else {
                throw fail("columns[\(index)].name", "is '\(column.name.truncatedForMessage())', a column declared twice")
            }
        }
        var sideNames = Set<String>()
        for (index, side) in sideTables.enumerated() {
            let field = "sideTables[\(index)]"
            guard sideNames.insert(side.name).inserted else {
                throw fail(field + ".name", "is '\(side.name.truncatedForMessage())', a side table declared twice")
            }
            try side.table.validate(field: field + ".table", fail)
            var sideColumns = Set<String>()
            for (columnIndex, column) in side.columns.enumerated() {
                try column.validate(field: field + ".columns[\(columnIndex)]", fail)
                guard sideColumns.insert(column.name).inserted else {
                    throw fail(
                        field + ".columns[\(columnIndex)].name",
                        "is '\(column.name.truncatedForMessage())', a column declared twice")
                }
            }
        }
        let owners = Set(columns.filter { $0.vocabulary != nil }.map(\.name))
            .union(sideTables.flatMap(\.columns).filter { $0.vocabulary != nil }.map(\.name))
        for column in columns + sideTables.flatMap(\.columns) {
            if let owner = column.vocabularyOf, !owners.contains(owner) {
                throw DataError.invalidSchema(
                    path: path,
                    reason: "column '\(column.name.truncatedForMessage())' uses the vocabulary of "
                        + "'\(owner.truncatedForMessage())', which declares none")
            }
        }
        guard tables[vocabularySplit] != nil || !columns.contains(where: { $0.vocabulary.map(Self.isBuilt) ?? false }) else {
            throw fail(
                "vocabularySplit",
                "is '\(vocabularySplit.truncatedForMessage())', which is not among the tables "
                    + "(\(tables.keys.sorted().joined(separator: ", ")))")
        }
        for side in sideTables {
            for key in side.key where side.columns.first(where: { $0.name == key }) == nil {
                throw DataError.invalidSchema(
                    path: path,
                    reason: "side table '\(side.name.truncatedForMessage())' declares key '\(key.truncatedForMessage())' but no such column")
            }
            for key in side.key where column(named: key) == nil {
                throw DataError.invalidSchema(
                    path: path,
                    reason: "side table '\(side.name.truncatedForMessage())' is keyed by '\(key.truncatedForMessage())', which the splits lack")
            }
        }
    }

    private static func isBuilt(_ vocabulary: Vocabulary) -> Bool {
        if case .built = vocabulary { return true }
        return false
    }

    /// Every table file with the path of its field.
    var tableFiles: [(field: String, file: String)] {
        tables.sorted { $0.key < $1.key }.map { ("tables.\($0.key).file", $0.value.file) }
            + sideTables.enumerated().map { ("sideTables[\($0.offset)].table.file", $0.element.table.file) }
            + (rankingTruth ?? [:]).sorted { $0.key < $1.key }.map { ("rankingTruth.\($0.key)", $0.value) }
    }

    /// Refuses a table file that resolves (through symbolic links) outside `directory`, before
    /// it is opened: nothing of such a file is read or echoed.
    func checkFilesInside(directory: String) throws {
        guard let root = Self.resolved(directory) else { return }
        for (field, file) in tableFiles {
            guard let target = Self.resolved(directory + "/" + file) else { continue }  // missing: reported on opening
            guard target.hasPrefix(root == "/" ? "/" : root + "/") else {
                throw DataError.invalidSchema(
                    path: directory + "/schema.json",
                    reason: "field '\(field)' is '\(file.truncatedForMessage())', which resolves (through a symbolic "
                        + "link) outside the dataset folder; expected a file inside the folder")
            }
        }
    }

    private static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

extension TableFile {
    func validate(field: String, _ fail: (String, String) -> DataError) throws {
        if let problem = Self.pathProblem(file) {
            throw fail(field + ".file", "is '\(file.truncatedForMessage())'; \(problem)")
        }
        let bytes = Array(delimiter.utf8)
        guard bytes.count == 1, ![0x22, 0x0A, 0x0D].contains(bytes[0]) else {
            throw fail(
                field + ".delimiter",
                "is '\(delimiter.truncatedForMessage())'; expected one byte other than a quote or a line end "
                    + "(\",\" for CSV, \"\\t\" for TSV)")
        }
    }

    /// Why `file` is not a relative path inside the dataset folder, or `nil`.
    static func pathProblem(_ file: String) -> String? {
        guard !file.isEmpty else { return "expected a file name" }
        guard !file.utf8.contains(0) else { return "expected a file name without NUL bytes" }
        guard !file.hasPrefix("/") else {
            return "expected a path relative to the dataset folder, not an absolute path"
        }
        var depth = 0
        for component in file.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                depth -= 1
                if depth < 0 { return "it leads outside the dataset folder; expected a file inside it" }
            default: depth += 1
            }
        }
        guard depth > 0 else { return "expected a file name inside the dataset folder" }
        return nil
    }
}

extension ColumnSchema {
    func validate(field: String, _ fail: (String, String) -> DataError) throws {
        guard !name.isEmpty else { throw fail(field + ".name", "is empty; expected the column's header name") }
        if let vocabulary, let (inner, problem) = vocabulary.rangeProblem() {
            throw fail(field + ".vocabulary." + inner, problem)
        }
        if empty == .useDefault && defaultValue == nil {
            throw fail(field + ".defaultValue", "is missing; expected the value of empty fields, as empty is 'useDefault'")
        }
        if kind.isList {
            guard let separator, separator.utf8.count == 1, ![0x22, 0x0A, 0x0D].contains(separator.utf8.first!) else {
                throw fail(field + ".separator", "is '\((separator ?? "").truncatedForMessage())'; expected one byte, e.g. \"|\"")
            }
        }
        if (kind == .categorical || kind == .idList) && vocabulary == nil && vocabularyOf == nil {
            throw fail(field + ".vocabulary", "is missing; a column of kind \(kind.rawValue) needs a vocabulary or vocabularyOf")
        }
    }
}
