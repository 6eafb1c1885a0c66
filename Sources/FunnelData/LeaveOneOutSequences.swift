/// Per-user, time-ordered item sequences split leave-one-out, the protocol of sequential
/// recommendation (SASRec, RoTE; `shared/docs/methods/sequential.md` §0.1).
///
/// Each user's interactions are sorted by time, stably (ties keep their input order). A user
/// with at least `minimumInteractions` interactions is evaluated: the last item is the test
/// target, the second to last the validation target, and the rest, `s_1 … s_m`, is the
/// training sequence. A user below the threshold goes entirely to training and is not
/// evaluated. One row per user and split, users in order of first appearance in the input:
///
/// | split | `items` (input, oldest first) | `target` |
/// |---|---|---|
/// | train | `s_1 … s_{m-1}` | `s_m` |
/// | validation | `s_1 … s_m` | the second-to-last item |
/// | test | `s_1 … s_m`, the validation item | the last item |
///
/// A model reads position-wise training targets as `items` shifted by one plus `target`. A
/// user whose training sequence holds fewer than 2 interactions has no train row; the
/// ``Report`` counts them. Items get ids 1 … N (0 is never an item: it pads).
///
/// ```swift
/// let interactions = try LeaveOneOutSequences.readInteractions(
///     path: "ratings.csv", userColumn: "userId", itemColumn: "movieId", timeColumn: "timestamp")
/// let sequences = try LeaveOneOutSequences(interactions: interactions)
/// try sequences.write(to: "data/movielens-sequences")
/// ```
public struct LeaveOneOutSequences: Sendable {
    /// One interaction of a log.
    public struct Interaction: Sendable, Equatable {
        public var user: Int64
        /// The item's raw key.
        public var item: Int64
        /// The time in seconds.
        public var time: Int64

        public init(user: Int64, item: Int64, time: Int64) {
            self.user = user
            self.item = item
            self.time = time
        }
    }

    /// How raw item keys become ids.
    public enum ItemIDs: Sendable, Equatable {
        /// Ids 1 … N in order of first appearance over the time-sorted log (user by user, users
        /// in order of first appearance in the input).
        case firstAppearance
        /// The raw keys already are ids in `1 ..< size` and are used as they are (a simulator's
        /// items; ranking truth then indexes by raw key). N is `size - 1`.
        case identity(size: Int)
    }

    /// The splits, in the order they are written.
    public enum Split: String, Sendable, CaseIterable {
        case train, validation, test
    }

    /// One user's time-sorted interactions, items as ids.
    public struct UserSequence: Sendable, Equatable {
        /// The raw user key.
        public var user: Int64
        public var items: [Int32]
        public var times: [Int64]
    }

    /// One row of a split.
    public struct Row: Sendable, Equatable {
        /// The raw user key.
        public var user: Int64
        /// The model input, oldest first.
        public var items: [Int32]
        /// The input's times.
        public var times: [Int64]
        /// The next item.
        public var target: Int32
        public var targetTime: Int64
        /// Every distinct item of the user over the whole log, in order of first interaction.
        public var interacted: [Int32]
    }

    /// Users with fewer interactions are not evaluated (SASRec uses 3, the RoTE code 4).
    public let minimumInteractions: Int
    public let itemIDs: ItemIDs
    /// Every user, in order of first appearance in the input.
    public let users: [UserSequence]
    /// N: item ids run over 1 … N.
    public let itemCount: Int
    /// The raw key of item id i at index i (index 0, the padding, holds 0).
    public let itemKeys: [Int64]
    public let report: Report

    /// Sorts and splits a log.
    /// - Parameters:
    ///   - interactions: in any order; user keys need not be contiguous or sorted.
    ///   - minimumInteractions: the least number of interactions of an evaluated user (≥ 3, so
    ///     that an evaluated user keeps at least one training interaction).
    ///   - itemIDs: how raw item keys become ids.
    /// - Throws: ``DataError/badValue(_:found:expected:)`` locating (as line = index + 1 of
    ///   `interactions`) an item key outside `1 ..< size` under `.identity(size:)`.
    public init(interactions: [Interaction], minimumInteractions: Int = 3, itemIDs: ItemIDs = .firstAppearance) throws {
        precondition(minimumInteractions >= 3, "Funnel: minimumInteractions must be at least 3")
        self.minimumInteractions = minimumInteractions
        self.itemIDs = itemIDs
        var userIndex: [Int64: Int] = [:]
        var members: [[Int]] = []
        for (index, interaction) in interactions.enumerated() {
            if let position = userIndex[interaction.user] {
                members[position].append(index)
            } else {
                userIndex[interaction.user] = members.count
                members.append([index])
            }
        }
        var ids: [Int64: Int32] = [:]
        var keys: [Int64] = [0]
        if case .identity(let size) = itemIDs {
            precondition(size >= 2, "Funnel: an identity item vocabulary needs a size of at least 2")
            keys = (0..<Int64(size)).map { $0 }
            for (index, interaction) in interactions.enumerated() where !(1..<Int64(size)).contains(interaction.item) {
                throw DataError.badValue(
                    FileLocation(file: "interactions", line: index + 1), found: String(interaction.item),
                    expected: "an item id in 1..<\(size) (itemIDs: .identity)")
            }
        }
        var sequences: [UserSequence] = []
        var ties = 0
        sequences.reserveCapacity(members.count)
        for indices in members {
            // Index order breaks ties: the sort is stable.
            let sorted = indices.sorted { (interactions[$0].time, $0) < (interactions[$1].time, $1) }
            var sequence = UserSequence(user: interactions[sorted[0]].user, items: [], times: [])
            for index in sorted {
                let interaction = interactions[index]
                if sequence.times.last == interaction.time { ties += 1 }
                let id: Int32
                if case .identity = itemIDs {
                    id = Int32(interaction.item)
                } else if let known = ids[interaction.item] {
                    id = known
                } else {
                    id = Int32(keys.count)
                    ids[interaction.item] = id
                    keys.append(interaction.item)
                }
                sequence.items.append(id)
                sequence.times.append(interaction.time)
            }
            sequences.append(sequence)
        }
        users = sequences
        itemKeys = keys
        itemCount = keys.count - 1
        let evaluated = sequences.filter { $0.items.count >= minimumInteractions }.count
        let withoutTrainRow = sequences.filter { Self.trainingLength($0.items.count, minimumInteractions) < 2 }.count
        report = Report(
            users: sequences.count, interactions: interactions.count, items: itemCount, usersEvaluated: evaluated,
            usersBelowThreshold: sequences.count - evaluated, usersWithoutTrainRow: withoutTrainRow,
            tiesInTime: ties, minimumInteractions: minimumInteractions)
    }

    /// The length of the training sequence of a user with `count` interactions.
    private static func trainingLength(_ count: Int, _ minimum: Int) -> Int {
        count >= minimum ? count - 2 : count
    }

    /// The rows of a split, users in order of first appearance.
    public func rows(_ split: Split) -> [Row] {
        users.compactMap { user in
            let count = user.items.count
            let training = Self.trainingLength(count, minimumInteractions)
            var seen = Set<Int32>()
            let interacted = user.items.filter { seen.insert($0).inserted }
            func row(inputs: Int, target: Int) -> Row {
                Row(
                    user: user.user, items: Array(user.items[..<inputs]), times: Array(user.times[..<inputs]),
                    target: user.items[target], targetTime: user.times[target], interacted: interacted)
            }
            switch split {
            case .train: return training >= 2 ? row(inputs: training - 1, target: training - 1) : nil
            case .validation: return count >= minimumInteractions ? row(inputs: count - 2, target: count - 2) : nil
            case .test: return count >= minimumInteractions ? row(inputs: count - 1, target: count - 1) : nil
            }
        }
    }
}
