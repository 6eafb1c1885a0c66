import FunnelNN

/// A group of parameters trained with its own optimizer settings, as
/// `{"name": "embeddings", "parameters": ["*embedding*", "items.table"], "kind": "adagrad",
/// "learningRate": 0.01}`. Each pattern is a module path (``Module/namedParameters()``) where
/// `*` stands for any run of characters, dots included; settings left out are the top level's.
public struct ParameterGroupConfiguration: Codable, Sendable, Equatable {
    /// Keys the group's checkpointed state (`nil`: "group<index>").
    public var name: String?
    /// Patterns of the parameter names the group holds; each must match some parameter.
    public var parameters: [String]
    public var kind: OptimizerConfiguration.Kind?
    public var learningRate: Float?
    public var weightDecay: Float?
    public var schedule: LearningRateSchedule?

    public init(
        name: String? = nil, parameters: [String], kind: OptimizerConfiguration.Kind? = nil,
        learningRate: Float? = nil, weightDecay: Float? = nil, schedule: LearningRateSchedule? = nil
    ) {
        self.name = name
        self.parameters = parameters
        self.kind = kind
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.schedule = schedule
    }

    /// Whether `pattern` is a non-empty run of letters, digits, `_`, `.`, `-` and `*`.
    public static func isPattern(_ pattern: String) -> Bool {
        !pattern.isEmpty && pattern.unicodeScalars.allSatisfy { $0 == "*" || isNameCharacter($0) }
    }

    /// Whether `name` is a non-empty run of letters, digits, `_`, `.` and `-`.
    static func isGroupName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy(isNameCharacter)
    }

    private static func isNameCharacter(_ character: Unicode.Scalar) -> Bool {
        character.isASCII && (character.properties.isAlphabetic || ("0"..."9").contains(character))
            || "_.-".unicodeScalars.contains(character)
    }

    /// Whether the whole of `name` matches `pattern`, `*` matching any run of characters.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let pattern = Array(pattern.utf8)
        let name = Array(name.utf8)
        // Greedy matching with backtracking to the last star (linear for one star).
        var (patternIndex, nameIndex) = (0, 0)
        var lastStar: Int?
        var resumeAt = 0
        while nameIndex < name.count {
            if patternIndex < pattern.count && pattern[patternIndex] == UInt8(ascii: "*") {
                lastStar = patternIndex
                resumeAt = nameIndex
                patternIndex += 1
            } else if patternIndex < pattern.count && pattern[patternIndex] == name[nameIndex] {
                patternIndex += 1
                nameIndex += 1
            } else if let star = lastStar {
                patternIndex = star + 1
                resumeAt += 1
                nameIndex = resumeAt
            } else {
                return false
            }
        }
        while patternIndex < pattern.count && pattern[patternIndex] == UInt8(ascii: "*") {
            patternIndex += 1
        }
        return patternIndex == pattern.count
    }
}
