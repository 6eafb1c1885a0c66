import Foundation
import FunnelData

/// The vocabulary file written beside an exported ONNX model (`<stem>.vocabulary.json`): how a
/// client turns a raw value into the Funnel id an int64 input of the graph expects, per
/// categorical input (docs/onnx.md).
///
/// Funnel's vocabularies (FunnelData ``VocabularyTable``) key values by a 64-bit hash of the
/// token's UTF-8 bytes, not by the text, so the text is not recoverable; the file holds what
/// is: the kind, the size, the reserved id 0 and, for built vocabularies, the key → id table
/// with each key the decimal string of the Int64 hash. The hash (`FieldParsing.hash`):
/// FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over the bytes, then
/// `h ^= h >> 33; h = h · 0xff51afd7ed558ccd (wrapping); h ^= h >> 33`, read as a signed Int64.
/// - identity: the raw value is the id (a whole number in `0 ..< size`);
/// - hashed: `1 + UInt64(bitPattern: hash) mod buckets`, 0 for a missing value;
/// - built: `keys[String(hash)]`, 0 when absent (out of vocabulary) or empty.
public struct ONNXVocabularyFile: Codable, Sendable, Equatable {
    /// One categorical input's vocabulary.
    public struct Input: Codable, Sendable, Equatable {
        /// The graph input (the model's column; side-table columns `"side.column"`).
        public var input: String
        /// The column that owns the vocabulary.
        public var vocabularyOf: String
        /// `identity`, `hashed` or `built`.
        public var kind: String
        /// The number of ids, id 0 included (ids lie in `0 ..< size`).
        public var size: Int
        /// hashed: the bucket count.
        public var buckets: Int?
        /// built: the fewest occurrences a value needed for an id of its own.
        public var minimumCount: Int?
        /// built: the decimal Int64 hash of each known value → its id (1 …).
        public var keys: [String: Int32]?
    }

    /// The file's format name and version.
    public var format = "funnel-onnx-vocabulary/1"
    /// The model kind exported.
    public var model: String
    /// The id of a value out of the vocabulary (built) or missing (built, hashed).
    public var outOfVocabularyID: Int32 = 0
    /// How a token's key is computed.
    public var hash = "FNV-1a 64 over the token's UTF-8 bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3), "
        + "then h ^= h >> 33; h = h * 0xff51afd7ed558ccd mod 2^64; h ^= h >> 33; the key is h read as a signed Int64"
    /// How a raw value becomes an id, per kind.
    public var mapping = [
        "identity": "the raw value is the id: a whole number in 0 ..< size",
        "hashed": "1 + (UInt64 hash of the token) mod buckets; 0 for an empty (missing) value",
        "built": "keys[decimal Int64 hash of the token]; 0 (out of vocabulary) when absent or empty",
    ]
    /// The categorical inputs, in the graph's order.
    public var inputs: [Input]
    /// The dense columns the `dense` input holds, in order.
    public var dense: [String]

    /// Describes the vocabularies of `categorical` in `dataset` (resolved as the models
    /// resolve them: `vocabularyOf`, else the column's own name after any `side.` prefix).
    public init(dataset: Dataset, model: String, categorical: [String], dense: [String]) throws {
        self.model = model
        self.dense = dense
        inputs = try categorical.map { column in
            let owner = column.split(separator: ".").last.map(String.init) ?? column
            let declared = dataset.schema.resolvedColumn(column)?.vocabularyOf
            guard let table = declared.flatMap({ dataset.vocabulary(for: $0) }) ?? dataset.vocabulary(for: owner) else {
                throw ONNXExport.Error(description:
                    "dataset '\(dataset.schema.name)': no vocabulary for the categorical input '\(column)' (expected one for '\(declared ?? owner)')")
            }
            switch table.kind {
            case .identity:
                return Input(input: column, vocabularyOf: table.column, kind: "identity", size: table.size)
            case .hashed(let buckets):
                return Input(input: column, vocabularyOf: table.column, kind: "hashed", size: table.size, buckets: buckets)
            case .built(let minimumCount):
                let keys = Dictionary(uniqueKeysWithValues: table.keys.enumerated().map { (String($1), Int32($0 + 1)) })
                return Input(
                    input: column, vocabularyOf: table.column, kind: "built", size: table.size, minimumCount: minimumCount, keys: keys)
            }
        }
    }

    /// Pretty, key-sorted JSON.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
