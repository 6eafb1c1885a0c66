/// The table of contents of a dataset cache (stored as JSON at the end of the file).
struct CacheManifest: Codable {
    struct Source: Codable, Equatable {
        var file: String
        var size: Int
        var modificationTime: Int64
    }

    struct Block: Codable {
        var offset: Int
        var length: Int
        var checksum: UInt64
    }

    struct ColumnEntry: Codable {
        var name: String
        var values = -1
        var offsets: Int?
        var listLength: Int?
        var keys: Int?
    }

    struct TableEntry: Codable {
        var name: String
        var side: Bool
        var rowCount: Int
        var columns: [ColumnEntry]
        var joins: [String: Int]
    }

    struct VocabularyEntry: Codable {
        var column: String
        var kind: Vocabulary
        var size: Int
        var keys: Int
        var keyCount: Int
    }

    var schema: DatasetSchema
    var sources: [Source]
    var reports: [LoadReport]
    var tables: [TableEntry] = []
    var vocabularies: [VocabularyEntry] = []
    var blocks: [Block] = []
    var fileSize = 0
}
