/// A target policy π as off-policy evaluation needs it: for every round of a log, a
/// distribution over the campaign's actions at that round's logged position.
///
/// Stored flat: `probabilities[round * actionCount + action]` = π(action | round, logged
/// position), shape `[rounds, actionCount]`; each round's row sums to 1.
public struct TargetDistribution: Sendable, Equatable {
    /// The number of actions of the campaign.
    public let actionCount: Int
    /// `[rounds * actionCount]`, row-major by round.
    public let probabilities: [Double]
    /// How the distribution was made, for reports (`"bts-log: …"`, a file path).
    public let source: String

    public init(actionCount: Int, probabilities: [Double], source: String) {
        precondition(actionCount > 0 && probabilities.count % actionCount == 0, "probabilities must be [rounds, actionCount]")
        self.actionCount = actionCount
        self.probabilities = probabilities
        self.source = source
    }

    /// The number of rounds.
    public var rounds: Int { probabilities.count / actionCount }

    /// π(action | round): the probability of an action at the round's logged position.
    public func probability(round: Int, action: Int) -> Double {
        probabilities[round * actionCount + action]
    }

    /// The target probability of every round's logged action: `[rounds]`.
    public func loggedActionProbabilities(_ log: BanditLog) -> [Double] {
        log.actions.indices.map { probability(round: $0, action: log.actions[$0]) }
    }

    /// `Σ_a π(a | round) · value(a, position)` for every round of `log`: `[rounds]`.
    public func expectations(_ log: BanditLog, value: (_ action: Int, _ position: Int) -> Double) -> [Double] {
        let groups = distinctRounds(log)
        let values = groups.expectations(value)
        return groups.groupOfRound.map { values[$0] }
    }

    /// The rounds of `log` grouped by their (distribution, logged position), so that an
    /// expectation under π is computed once per group: a context-free target such as
    /// ``behaviourPolicy(of:for:actionCount:)`` has one group per position.
    public func distinctRounds(_ log: BanditLog) -> DistinctRounds {
        struct Key: Hashable {
            var position: Int
            var probabilities: ArraySlice<Double>
        }
        var groups: [Key: Int] = [:]
        var result = DistinctRounds(groupOfRound: [], positions: [], distributions: [])
        result.groupOfRound.reserveCapacity(log.count)
        for round in 0..<log.count {
            let row = probabilities[round * actionCount..<(round + 1) * actionCount]
            let key = Key(position: log.positions[round], probabilities: row)
            if let group = groups[key] {
                result.groupOfRound.append(group)
            } else {
                groups[key] = result.positions.count
                result.groupOfRound.append(result.positions.count)
                result.positions.append(key.position)
                result.distributions.append(Array(row))
            }
        }
        return result
    }

    /// Rounds grouped by (distribution, position); see ``distinctRounds(_:)``.
    public struct DistinctRounds: Sendable, Equatable {
        /// The group of every round: `[rounds]`.
        public var groupOfRound: [Int]
        /// The logged position of every group: `[groups]`.
        public var positions: [Int]
        /// The distribution over actions of every group: `[groups][actionCount]`.
        public var distributions: [[Double]]

        /// `Σ_a π(a) · value(a, position)` for every group: `[groups]`.
        public func expectations(_ value: (_ action: Int, _ position: Int) -> Double) -> [Double] {
            zip(distributions, positions).map { distribution, position in
                var total = 0.0
                for (action, probability) in distribution.enumerated() where probability > 0 {
                    total += probability * value(action, position)
                }
                return total
            }
        }
    }

    /// The behaviour policy of another log, estimated as a context-free distribution per
    /// position and applied to every round of `log`.
    ///
    /// Open Bandit's Bernoulli Thompson sampling ignores the user, so its action distribution
    /// depends only on the position (and drifts slowly with its posterior). The convention here:
    /// π(a | position) is the mean of the logged `propensity` over the rows of `behaviour` with
    /// that action at that position, normalised to sum to 1 over the actions at each position;
    /// an action the log never shows at a position gets 0.
    /// - Throws: ``OffPolicyInputError`` when `behaviour` never shows one of the positions
    ///   `log` needs.
    public static func behaviourPolicy(of behaviour: BanditLog, for log: BanditLog, actionCount: Int) throws -> TargetDistribution {
        let positions = BanditLog.positionRange.upperBound + 1
        var sums = [Double](repeating: 0, count: positions * actionCount)
        var counts = [Double](repeating: 0, count: positions * actionCount)
        for row in 0..<behaviour.count {
            let cell = behaviour.positions[row] * actionCount + behaviour.actions[row]
            sums[cell] += behaviour.propensities[row]
            counts[cell] += 1
        }
        var perPosition = [[Double]](repeating: [], count: positions)
        for position in BanditLog.positionRange {
            let cells = (0..<actionCount).map { position * actionCount + $0 }
            let means = cells.map { counts[$0] > 0 ? sums[$0] / counts[$0] : 0 }
            let total = means.reduce(0, +)
            perPosition[position] = total > 0 ? means.map { $0 / total } : []
        }
        var probabilities: [Double] = []
        probabilities.reserveCapacity(log.count * actionCount)
        for position in log.positions {
            guard !perPosition[position].isEmpty else {
                throw OffPolicyInputError(
                    file: "split '\(behaviour.split)'", line: nil,
                    message: "campaign '\(behaviour.campaign)' never shows position \(position); "
                        + "its behaviour policy there cannot be estimated")
            }
            probabilities += perPosition[position]
        }
        return TargetDistribution(
            actionCount: actionCount, probabilities: probabilities,
            source: "\(behaviour.split)-log: the mean logged propensity of each (action, position) in split "
                + "'\(behaviour.split)', normalised to sum to 1 per position")
    }
}

/// A target policy or log that off-policy evaluation refuses, located in its file.
public struct OffPolicyInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (or split) at fault.
    public var file: String
    /// The 1-based line, when one line is at fault.
    public var line: Int?
    /// What was found and what was expected.
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        (line.map { "\(file):\($0): " } ?? "\(file): ") + message
    }
}
