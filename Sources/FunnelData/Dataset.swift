import Foundation

/// A canonical dataset folder, loaded: its schema, its splits, its side tables and its
/// vocabularies.
///
/// ```swift
/// let dataset = try Dataset.load("data/esmm")      // uses or (re)builds the binary cache
/// let train = try dataset.split("train")
/// ```
public final class Dataset: @unchecked Sendable {
    /// The folder.
    public let directory: String
    public let schema: DatasetSchema
    /// The splits by name.
    public let splits: [String: Table]
    /// The side tables by name.
    public let sideTables: [String: Table]
    /// The vocabularies by the name of the column that owns them.
    public let vocabularies: [String: VocabularyTable]
    /// What loading each file did (empty when the data came from the cache, which holds only
    /// data that loaded cleanly; the reports of the compile are stored with it).
    public let reports: [LoadReport]
    /// Whether the data came from the binary cache.
    public let loadedFromCache: Bool
    /// What the load did besides reading the data, for the user to see (for example: the cache
    /// could not be written, so the dataset lives in memory only).
    public internal(set) var notes: [String] = []

    init(
        directory: String, schema: DatasetSchema, splits: [String: Table], sideTables: [String: Table],
        vocabularies: [String: VocabularyTable], reports: [LoadReport], loadedFromCache: Bool
    ) {
        self.directory = directory
        self.schema = schema
        self.splits = splits
        self.sideTables = sideTables
        self.vocabularies = vocabularies
        self.reports = reports
        self.loadedFromCache = loadedFromCache
    }

    /// How ``load(_:cache:)`` uses the binary cache.
    public enum CachePolicy: Sendable {
        /// Parse the text files; neither read nor write a cache.
        case ignore
        /// Use the cache when it is valid; otherwise parse the text and write a new cache
        /// (a cache whose sources changed, or whose bytes are damaged, is rebuilt).
        case useOrRebuild
        /// Use the cache, or fail with the reason it cannot be used.
        case require
    }

    /// The path of a dataset's binary cache.
    public static func cachePath(_ directory: String) -> String {
        directory + "/dataset.funnelcache"
    }

    /// Loads a dataset folder.
    /// - Parameters:
    ///   - directory: the folder holding `schema.json`.
    ///   - cache: how to use the binary cache.
    ///   - rebuilt: called with the reason when an existing cache had to be rebuilt.
    public static func load(
        _ directory: String, cache: CachePolicy = .useOrRebuild, rebuilt: (String) -> Void = { _ in }
    ) throws -> Dataset {
        let schema = try DatasetSchema.read(directory: directory)
        let path = cachePath(directory)
        // A binary dataset has no text to parse or to rebuild from.
        if schema.storage == .binary { return try DatasetCache.read(path: path, directory: directory, schema: schema) }
        try schema.checkFilesInside(directory: directory)
        switch cache {
        case .ignore:
            return try DatasetTextLoader(directory: directory, schema: schema).load()
        case .require:
            return try DatasetCache.read(path: path, directory: directory, schema: schema)
        case .useOrRebuild:
            if FileManager.default.fileExists(atPath: path) {
                do {
                    return try DatasetCache.read(path: path, directory: directory, schema: schema)
                } catch let error as DataError {
                    rebuilt(error.description)
                }
            }
            let dataset = try DatasetTextLoader(directory: directory, schema: schema).load()
            do {
                try DatasetCache.write(dataset, to: path)
            } catch {
                // A read-only folder (a shared copy, a mounted volume) still loads: the parsed
                // dataset is used from memory, and the next load parses the text again.
                let reason = (error as? DataError).map(Self.writeFailureReason) ?? "\(error)".truncatedForMessage(200)
                dataset.notes.append(
                    "the binary cache \(path) could not be written (\(reason)); the dataset was loaded from its "
                        + "text files and is kept in memory only (run `funnel data compile` where the folder is writable)")
            }
            return dataset
        }
    }

    private static func writeFailureReason(_ error: DataError) -> String {
        switch error {
        case .unreadable(_, let reason): return reason
        default: return error.description
        }
    }

    /// Parses the text files and writes the binary cache; returns the dataset as parsed.
    @discardableResult
    public static func compile(_ directory: String) throws -> Dataset {
        let schema = try DatasetSchema.read(directory: directory)
        guard schema.storage == .text else {
            throw DataError.invalidSchema(
                path: directory + "/schema.json", reason: "a binary dataset has no text tables to compile")
        }
        try schema.checkFilesInside(directory: directory)
        let dataset = try DatasetTextLoader(directory: directory, schema: schema).load()
        try DatasetCache.write(dataset, to: cachePath(directory))
        return dataset
    }

    /// The split with the given name, or an error listing the splits there are.
    public func split(_ name: String) throws -> Table {
        guard let table = splits[name] else {
            throw DataError.missingRequirement(
                dataset: schema.name, column: name,
                reason: "no such split (splits: \(splits.keys.sorted().joined(separator: ", ")))")
        }
        return table
    }

    /// The vocabulary a column's ids come from (following `vocabularyOf`).
    public func vocabulary(for column: String) -> VocabularyTable? {
        let owner = schema.column(named: column)?.vocabularyOf
            ?? schema.sideTables.lazy.flatMap(\.columns).first { $0.name == column }?.vocabularyOf
            ?? column
        return vocabularies[owner]
    }
}

extension DecodingError {
    /// The coding path and the reason, e.g. "columns[3].kind: cannot read 'float'".
    var readableDescription: String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let location = path(context.codingPath)
            return (location.isEmpty ? "" : "field '\(location)': ") + context.debugDescription.truncatedForMessage(200)
        case .keyNotFound(let key, let context):
            let location = path(context.codingPath + [key])
            return "field '\(location)' is required but missing"
        @unknown default:
            return "\(self)"
        }
    }
}
