import Foundation

/// One column of a dataset: how to read it and what it means.
public struct ColumnSchema: Codable, Sendable, Equatable {
    /// The header name.
    public var name: String
    /// How values are read and stored.
    public var kind: Kind
    /// What the column means to models and metrics.
    public var role: Role
    /// How raw values of a categorical column or an id list become ids.
    public var vocabulary: Vocabulary?
    /// The separator between the elements of an id list or a timestamp list (one byte, for
    /// example "|").
    public var separator: String?
    /// What an empty field means.
    public var empty: EmptyPolicy
    /// The value used for an empty field when `empty` is `.useDefault` (as text, read like a
    /// field).
    public var defaultValue: String?
    /// Another column whose vocabulary this one uses (a behaviour sequence of item ids shares
    /// the item column's ids); its values count toward building that vocabulary.
    public var vocabularyOf: String?
    /// For a truth column: the label whose true probability it holds (the simulator's
    /// `interest_probability` is the truth of `click`), so that evaluation finds it.
    public var truthOf: String?
    /// For a truth column of a conditional probability: the label it is conditioned on (the
    /// funnel world's `true_cvr` is the truth of `conversion` given `click`, defined on every
    /// exposure, clicked or not).
    public var truthGiven: String?

    public init(
        name: String, kind: Kind, role: Role = .feature, vocabulary: Vocabulary? = nil,
        separator: String? = nil, empty: EmptyPolicy = .error, defaultValue: String? = nil,
        vocabularyOf: String? = nil, truthOf: String? = nil, truthGiven: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.role = role
        self.vocabulary = vocabulary
        self.separator = separator
        self.empty = empty
        self.defaultValue = defaultValue
        self.vocabularyOf = vocabularyOf
        self.truthOf = truthOf
        self.truthGiven = truthGiven
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(Kind.self, forKey: .kind)
        role = try container.decodeIfPresent(Role.self, forKey: .role) ?? .feature
        vocabulary = try container.decodeIfPresent(Vocabulary.self, forKey: .vocabulary)
        separator = try container.decodeIfPresent(String.self, forKey: .separator)
        empty = try container.decodeIfPresent(EmptyPolicy.self, forKey: .empty) ?? .error
        defaultValue = try container.decodeIfPresent(String.self, forKey: .defaultValue)
        vocabularyOf = try container.decodeIfPresent(String.self, forKey: .vocabularyOf)
        truthOf = try container.decodeIfPresent(String.self, forKey: .truthOf)
        truthGiven = try container.decodeIfPresent(String.self, forKey: .truthGiven)
        if (kind == .categorical || kind == .idList) && vocabulary == nil && vocabularyOf == nil {
            throw DecodingError.dataCorruptedError(
                forKey: .vocabulary, in: container,
                debugDescription: "column '\(name)' of kind \(kind.rawValue) needs a vocabulary or vocabularyOf")
        }
        if kind.isList && separator?.utf8.count != 1 {
            throw DecodingError.dataCorruptedError(
                forKey: .separator, in: container,
                debugDescription: "\(kind == .idList ? "id" : "timestamp")-list column '\(name)' needs a one-byte separator")
        }
    }

    /// How values are read and stored.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        public init(from decoder: any Decoder) throws { self = try decodeListedValue(decoder) }

        /// An id mapped through a vocabulary to a dense `Int32` index.
        case categorical
        /// A Float32 value.
        case dense
        /// A list of ids separated by `separator`, each mapped through the vocabulary.
        case idList
        /// An integer time (seconds, or a day number); stored as `Int64`.
        case timestamp
        /// An outcome (click, conversion, watch time, rating, …) stored as Float32.
        case label
        /// A list of integer times separated by `separator` (the timestamps of an id list's
        /// interactions, oldest first); stored as `Int64`, no vocabulary.
        case timestampList

        /// Whether a field holds a list of elements separated by the column's `separator`.
        public var isList: Bool { self == .idList || self == .timestampList }
    }

    /// What a column means.
    public enum Role: String, Codable, Sendable, CaseIterable {
        public init(from decoder: any Decoder) throws { self = try decodeListedValue(decoder) }

        /// A model input.
        case feature
        /// The user: the default GAUC group and the key of per-user side tables.
        case user
        /// The item.
        case item
        /// The day (with the user, the key of per-user-day side tables).
        case day
        /// Another grouping key for metrics (a session, a query, …).
        case group
        /// Ground truth of a simulator or an oracle (never a model input).
        case truth
        /// A logged propensity (for example Open Bandit's action probability).
        case propensity
        /// Read and kept, but not offered to models.
        case metadata
    }

    /// What an empty field means.
    public enum EmptyPolicy: String, Codable, Sendable, CaseIterable {
        public init(from decoder: any Decoder) throws { self = try decodeListedValue(decoder) }

        /// An empty field is a bad value (the dataset's bad-row policy decides).
        case error
        /// An empty field takes `defaultValue` and the row counts as repaired.
        case useDefault
        /// An empty field is the out-of-vocabulary id (categorical), NaN (dense), or an empty
        /// list (id list).
        case missing
    }
}

/// How the raw values of a categorical column become ids in `0 ..< size`.
public enum Vocabulary: Codable, Sendable, Equatable {
    /// Built from the vocabulary split: values seen at least `minimumCount` times get ids
    /// 1, 2, … in order of first appearance; id 0 is reserved for everything else
    /// (out-of-vocabulary, and missing values).
    case built(minimumCount: Int)
    /// The raw value's bytes hashed into `buckets` ids 1 … buckets; id 0 is reserved for missing
    /// values.
    case hashed(buckets: Int)
    /// The raw value is already an integer id in 0 ..< size; anything else is an error.
    case identity(size: Int)

    /// The largest number of ids a vocabulary may hold (ids are `Int32`).
    public static let maximumSize = Int(Int32.max)

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case built, hashed, identity
    }

    private enum BuiltKeys: String, CodingKey { case minimumCount }
    private enum HashedKeys: String, CodingKey { case buckets }
    private enum IdentityKeys: String, CodingKey { case size }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let valid = CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected an object with exactly one of: \(valid) "
                        + "(for example {\"built\": {\"minimumCount\": 1}})"))
        }
        switch key {
        case .built:
            let inner = try container.nestedContainer(keyedBy: BuiltKeys.self, forKey: .built)
            self = .built(minimumCount: try inner.decode(Int.self, forKey: .minimumCount))
        case .hashed:
            let inner = try container.nestedContainer(keyedBy: HashedKeys.self, forKey: .hashed)
            self = .hashed(buckets: try inner.decode(Int.self, forKey: .buckets))
        case .identity:
            let inner = try container.nestedContainer(keyedBy: IdentityKeys.self, forKey: .identity)
            self = .identity(size: try inner.decode(Int.self, forKey: .size))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .built(let minimumCount):
            var inner = container.nestedContainer(keyedBy: BuiltKeys.self, forKey: .built)
            try inner.encode(minimumCount, forKey: .minimumCount)
        case .hashed(let buckets):
            var inner = container.nestedContainer(keyedBy: HashedKeys.self, forKey: .hashed)
            try inner.encode(buckets, forKey: .buckets)
        case .identity(let size):
            var inner = container.nestedContainer(keyedBy: IdentityKeys.self, forKey: .identity)
            try inner.encode(size, forKey: .size)
        }
    }

    /// Why the vocabulary's numbers are out of range (checked before any table is allocated),
    /// as the field path inside `vocabulary` and the problem; `nil` when they are fine.
    func rangeProblem() -> (field: String, problem: String)? {
        let limit = Self.maximumSize
        switch self {
        case .built(let minimumCount):
            guard (1...limit).contains(minimumCount) else {
                return ("built.minimumCount", "is \(minimumCount); expected a count in 1...\(limit)")
            }
        case .hashed(let buckets):
            guard (1...(limit - 1)).contains(buckets) else {
                return ("hashed.buckets", "is \(buckets); expected a bucket count in 1...\(limit - 1) (ids are 32-bit, id 0 is reserved)")
            }
            if let problem = Self.memoryProblem(rows: buckets + 1) { return ("hashed.buckets", problem) }
        case .identity(let size):
            guard (1...limit).contains(size) else {
                return ("identity.size", "is \(size); expected a size in 1...\(limit) (ids are 32-bit)")
            }
            if let problem = Self.memoryProblem(rows: size) { return ("identity.size", problem) }
        }
        return nil
    }

    /// A table of `rows` rows of even one Float each must fit in this machine's memory.
    private static func memoryProblem(rows: Int) -> String? {
        let memory = ProcessInfo.processInfo.physicalMemory
        guard memory > 0, UInt64(rows) * 4 > memory else { return nil }
        return "is \(rows) rows; an embedding table of that many rows would not fit in this machine's "
            + "\(memory >> 30) GiB of memory even at one value per row"
    }
}

/// Decodes an enumeration from its raw text, listing the valid values when it is not one.
func decodeListedValue<Value: RawRepresentable & CaseIterable>(_ decoder: any Decoder) throws -> Value
where Value.RawValue == String {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    guard let value = Value(rawValue: text) else {
        let valid = Value.allCases.map(\.rawValue).joined(separator: ", ")
        throw DecodingError.dataCorruptedError(
            in: container, debugDescription: "'\(text.truncatedForMessage())' is not a valid value; expected one of: \(valid)")
    }
    return value
}
