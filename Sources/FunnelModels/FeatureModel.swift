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
    public var columns: Set<String> { Set(categorical + dense + [label]) }
    public var labels: [String: String] { [label: label] }
    public var primaryOutput: String { label }

    /// Binary cross-entropy of the label's logits, from logits.
    public func loss(_ outputs: [String: Tensor], batch: Batch) throws -> (loss: Tensor, logs: [String: Double]) {
        let loss = Losses.binaryCrossEntropy(logits: outputs[label]!, labels: try batch.tensor(label))
        return (loss, ["loss": Double(loss.scalar)])
    }
}
