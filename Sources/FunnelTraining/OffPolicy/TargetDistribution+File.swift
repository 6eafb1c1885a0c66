import Foundation

extension TargetDistribution {
    /// The header a target distribution file starts with.
    public static let fileHeader = ["round", "action", "position", "probability"]

    /// The tolerance within which each round's probabilities must sum to 1.
    public static let sumTolerance = 1e-4

    /// Reads a target policy from a CSV file, for the rounds of `log`.
    ///
    /// Format: the header `round,action,position,probability`, then one row per (round, action,
    /// position): `round` is the 0-based index of the round in the evaluated log (the split's
    /// rows of the campaign, in order), `action` the campaign's item index, `position` 1–3 and
    /// `probability` π(action | round, position). Actions left out have probability 0. Every
    /// round needs its logged position; rows for other positions are checked and ignored.
    ///
    /// Refused, with the file and line: a malformed row, a round, action or position out of
    /// range, a probability that is not a number in [0, 1], a repeated (round, action, position),
    /// a (round, position) whose probabilities do not sum to 1 within ``sumTolerance`` (the
    /// message gives the round and the sum) and a round without its logged position.
    public static func read(file: String, log: BanditLog, actionCount: Int) throws -> TargetDistribution {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw OffPolicyInputError(file: file, line: nil, message: "cannot be read (\(error.localizedDescription))")
        }
        let positions = BanditLog.positionRange.upperBound + 1
        var probabilities = [Double](repeating: 0, count: log.count * actionCount)
        // Per (round, position): the running sum and the line of its first row.
        var sums = [Double](repeating: 0, count: log.count * positions)
        var firstLines = [Int](repeating: 0, count: log.count * positions)
        var seen = Set<Int>()
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            func refuse(_ message: String) -> OffPolicyInputError {
                OffPolicyInputError(file: file, line: lineNumber, message: message)
            }
            if lineNumber == 1 {
                guard fields == fileHeader else {
                    throw refuse("found the header '\(trimmed)', expected '\(fileHeader.joined(separator: ","))'")
                }
                continue
            }
            if trimmed.isEmpty { continue }
            guard fields.count == 4 else { throw refuse("found \(fields.count) fields, expected 4 (\(fileHeader.joined(separator: ",")))") }
            guard let round = Int(fields[0]), (0..<log.count).contains(round) else {
                throw refuse("round '\(fields[0])' is invalid; expected a round index in 0..<\(log.count) (the evaluated log's rounds)")
            }
            guard let action = Int(fields[1]), (0..<actionCount).contains(action) else {
                throw refuse("action '\(fields[1])' is invalid; expected an action in 0..<\(actionCount) (campaign '\(log.campaign)')")
            }
            guard let position = Int(fields[2]), BanditLog.positionRange.contains(position) else {
                throw refuse("position '\(fields[2])' is invalid; expected a position in 1...3")
            }
            guard let probability = Double(fields[3]), probability.isFinite, (0...1).contains(probability) else {
                throw refuse("probability '\(fields[3])' is invalid; expected a probability in [0, 1]")
            }
            let cell = round * positions + position
            guard seen.insert(cell * actionCount + action).inserted else {
                throw refuse("round \(round), action \(action), position \(position) is given twice")
            }
            if firstLines[cell] == 0 { firstLines[cell] = lineNumber }
            sums[cell] += probability
            if position == log.positions[round] { probabilities[round * actionCount + action] = probability }
        }
        guard lineNumber >= 1, !text.isEmpty else {
            throw OffPolicyInputError(file: file, line: nil, message: "is empty; expected the header '\(fileHeader.joined(separator: ","))'")
        }
        for cell in sums.indices where firstLines[cell] > 0 && abs(sums[cell] - 1) > sumTolerance {
            throw OffPolicyInputError(
                file: file, line: firstLines[cell],
                message: "round \(cell / positions), position \(cell % positions): the probabilities sum to "
                    + "\(sums[cell]); expected 1 (within \(sumTolerance))")
        }
        for round in 0..<log.count where firstLines[round * positions + log.positions[round]] == 0 {
            throw OffPolicyInputError(
                file: file, line: nil,
                message: "round \(round) has no probabilities at its logged position \(log.positions[round]); "
                    + "expected rows 'round,action,position,probability' for it")
        }
        return TargetDistribution(actionCount: actionCount, probabilities: probabilities, source: file)
    }
}
