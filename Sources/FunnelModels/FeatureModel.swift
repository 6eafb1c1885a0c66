import FunnelData
import FunnelNN
import FunnelTensor

/// A one-label model over selected categorical and dense columns (the plain CTR baselines):
/// the columns, the label and the loss follow from the selection.
public protocol FeatureModel: FunnelModel {
    var categorical: [String] { get }
    var dense: [String] { get }
    var label: String { get }
}

extension FeatureModel {
    public var requirements: DataRequirements { DataRequirements(columns: Set(categorical + dense + [label])) }

    /// The label's logits against the label over every row.
    public var evaluationTasks: [EvaluationTask] { [EvaluationTask(name: "", outputs: [label], label: label)] }

    /// Binary cross-entropy of the label's logits, from logits.
    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        Objective(Losses.binaryCrossEntropy(logits: outputs[label]!, labels: try batch.tensor(label)))
    }
}
