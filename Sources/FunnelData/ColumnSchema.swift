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
    /// The separator between ids of an id list (one byte, for example "|").
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
        if kind == .idList && separator?.utf8.count != 1 {
            throw DecodingError.dataCorruptedError(
                forKey: .separator, in: container,
                debugDescription: "id-list column '\(name)' needs a one-byte separator")
        }
    }

    /// How values are read and stored.
    public enum Kind: String, Codable, Sendable {
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
    }

    /// What a column means.
    public enum Role: String, Codable, Sendable {
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
    public enum EmptyPolicy: String, Codable, Sendable {
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
}
