/// The mapping from raw keys to ids of one categorical vocabulary.
///
/// Id 0 is reserved: for built vocabularies it is every value seen fewer than `minimumCount`
/// times in the vocabulary split (and every value unseen there), for hashed ones the missing
/// value. Identity vocabularies map a key to itself.
public struct VocabularyTable: Sendable, Equatable {
    /// The column that owns the vocabulary.
    public let column: String
    /// How it was made.
    public let kind: Vocabulary
    /// The number of ids, reserved id 0 included: the row count of an embedding table.
    public let size: Int
    /// Built vocabularies: the key of id i + 1 at index i.
    public let keys: [Int64]
    private let ids: [Int64: Int32]

    /// Builds the vocabulary of `column` from the keys of the vocabulary split.
    init(column: String, kind: Vocabulary, trainingKeys: [[Int64]]) {
        self.column = column
        self.kind = kind
        switch kind {
        case .identity(let size):
            self.size = size
            keys = []
            ids = [:]
        case .hashed(let buckets):
            size = buckets + 1
            keys = []
            ids = [:]
        case .built(let minimumCount):
            var counts: [Int64: Int] = [:]
            var order: [Int64] = []
            for list in trainingKeys {
                for key in list where key != RawColumn.missingKey {
                    let previous = counts[key, default: 0]
                    if previous == 0 { order.append(key) }
                    counts[key] = previous + 1
                }
            }
            let kept = order.filter { counts[$0]! >= minimumCount }
            keys = kept
            ids = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, Int32($0 + 1)) })
            size = kept.count + 1
        }
    }

    /// Restores a vocabulary read from a cache.
    init(column: String, kind: Vocabulary, size: Int, keys: [Int64]) {
        self.column = column
        self.kind = kind
        self.size = size
        self.keys = keys
        ids = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, Int32($0 + 1)) })
    }

    /// The smallest id of a real value: 0 for identity vocabularies, 1 where id 0 is reserved.
    public var firstValueID: Int32 {
        if case .identity = kind { return 0 }
        return 1
    }

    /// The id of a raw key (0 when it is out of the vocabulary).
    public func id(forKey key: Int64) -> Int32 {
        switch kind {
        case .identity:
            return Int32(truncatingIfNeeded: key)
        case .hashed(let buckets):
            if key == RawColumn.missingKey { return 0 }
            return Int32(1 + UInt64(bitPattern: key) % UInt64(buckets))
        case .built:
            return ids[key] ?? 0
        }
    }

    /// Maps keys to ids and counts those that fell out of the vocabulary (id 0 for a key that
    /// was present; missing values are counted as empty values by the reader instead).
    func map(_ keys: [Int64]) -> (ids: [Int32], outOfVocabulary: Int) {
        var outOfVocabulary = 0
        let ids = keys.map { key -> Int32 in
            let id = self.id(forKey: key)
            if id == 0 && key != RawColumn.missingKey, case .built = kind { outOfVocabulary += 1 }
            return id
        }
        return (ids, outOfVocabulary)
    }

    public static func == (left: VocabularyTable, right: VocabularyTable) -> Bool {
        left.column == right.column && left.kind == right.kind && left.size == right.size && left.keys == right.keys
    }
}
