/// A run stopped because its loss or its parameters stopped being finite: the step (counted
/// from 1, as the curve counts), the epoch and batch (from 1), what is not finite, and the last
/// checkpoint written or resumed from (no checkpoint is written after the divergence).
public struct TrainingDiverged: Error, CustomStringConvertible {
    public var step: Int
    public var epoch: Int
    public var batch: Int
    /// What is not finite: the logged terms, or the parameter.
    public var cause: String
    public var lastCheckpoint: String?

    public var description: String {
        "training diverged at step \(step) (epoch \(epoch), batch \(batch)): \(cause); "
            + (lastCheckpoint.map { "the last good checkpoint is \($0)" } ?? "no checkpoint was written before it")
            + " (a lower learning rate, or clipNorm, may help)"
    }
}
