import Foundation
import FunnelData
import FunnelModels

/// Writes a model's scores for a split as CSV: `row,group,label,score` (the group is the raw
/// key of the user column, so `funnel metrics` can compute GAUC from the file).
public enum Predictor {
    @discardableResult
    public static func write(model: some FunnelModel, dataset: Dataset, split: String, to path: String) throws -> Evaluation {
        if case .ranking = model.evaluationTasks[0].kind {
            throw Checkpoint.Error(description: "predict writes one score per row; a ranking model's catalogue scores are read with `funnel evaluate`")
        }
        let evaluation = try Evaluator.evaluate(model: model, dataset: dataset, split: split)
        var text = "row,group,label,score\n"
        text.reserveCapacity(evaluation.scores.count * 32)
        for row in evaluation.scores.indices {
            let group = evaluation.groups.map { String($0[row]) } ?? ""
            text += "\(row),\(group),\(Int(evaluation.labels[row])),\(evaluation.scores[row])\n"
        }
        try AtomicFile.write(Data(text.utf8), to: path)
        return evaluation
    }
}
