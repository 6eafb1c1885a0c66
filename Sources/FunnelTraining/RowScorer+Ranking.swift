import FunnelData
import FunnelModels
import FunnelTensor

extension RowScorer {
    /// One recommended item: its raw value as in the dataset's files, and its score.
    public struct RankedItem: Sendable, Equatable {
        public var item: String
        public var score: Double
    }

    /// The `count` best items of the catalogue for one user, as the model's ranking task scores
    /// them (sequential.md §0.2): the row's first output `[1, catalogue]` read at every real item
    /// id; the history's items are left out when the task masks its history, and `excluding`'s
    /// always. Ties keep the smaller id first.
    /// - Parameters:
    ///   - history: the user's items, oldest first, as raw values; written into the model's
    ///     id-list inputs and the ranking task's history column (those `row` leaves out).
    ///   - row: the row's other columns (a model that reads more than its history).
    /// - Throws: ``RowEncodingError`` for a bad field or a model without a ranking task.
    public func rank(history: [String], row: [String: RowField] = [:], count: Int, excluding: [String] = []) throws -> [RankedItem] {
        guard ranks, case .ranking(let ranking) = trained.model.evaluationTasks[0].kind, let historyColumn = ranking.history else {
            throw RowEncodingError(row: nil, column: nil, message: "the model (\(trained.configuration.model.rawValue)) has no ranking output; use /v1/score")
        }
        let target = trained.model.evaluationTasks[0].label
        let dataset = trained.dataset
        guard let vocabulary = dataset.vocabulary(for: dataset.schema.resolvedColumn(target)?.vocabularyOf ?? target),
            case .identity = vocabulary.kind
        else {
            throw RowEncodingError(
                row: nil, column: target, message: "ranking names items by their raw ids, which needs an identity vocabulary")
        }
        // The history is both what the model reads (its id-list sequences) and what the task
        // masks (its history column), unless the row gives either itself.
        var fields = row
        let listColumns = trained.model.requirements.sequences.keys.filter { dataset.schema.resolvedColumn($0)?.kind == .idList }
        for column in listColumns.sorted() + [historyColumn] where fields[column] == nil {
            fields[column] = .list(history)
        }
        let (outputs, _) = try self.outputs(try encoder.table([fields]))
        let name = trained.model.evaluationTasks[0].outputs[0]
        guard let scores = outputs[name]?.scalars else {
            throw RowEncodingError(row: nil, column: nil, message: "the model has no output '\(name)'")
        }
        var excluded = Set<Int>()
        for value in excluding + (ranking.maskHistory ? history : []) {
            guard let id = vocabulary.id(forToken: value) else {
                throw RowEncodingError(row: nil, column: target, message: "expected an item id in 0..<\(vocabulary.size), found \(String(reflecting: value))")
            }
            excluded.insert(Int(id))
        }
        let first = Int(ranking.firstItem ?? vocabulary.firstValueID)
        let candidates = (first..<min(scores.count, vocabulary.size)).filter { !excluded.contains($0) }
        let best = candidates.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(max(0, count))
        return best.map { RankedItem(item: String($0), score: Double(scores[$0])) }
    }
}
