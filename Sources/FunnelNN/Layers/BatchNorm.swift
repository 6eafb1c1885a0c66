import FunnelTensor

/// Batch normalisation over the rows of `[n, features]` (Ioffe & Szegedy, ICML 2015), as
/// PyTorch's `BatchNorm1d`:
///
/// - training: `(x − mean_B) / √(var_B + ε) · γ + β` with the batch mean and the *biased* batch
///   variance of each feature; the running statistics move towards the batch's with `momentum`:
///   `running = (1 − momentum)·running + momentum·batch`, the variance with the *unbiased* batch
///   variance (`var_B · n/(n − 1)`). A one-row batch (PyTorch refuses it) normalises to β and
///   leaves the running variance as it is;
/// - evaluation (``Module/train(_:)`` false): the running statistics instead of the batch's.
///
/// `runningMean` (zeros) and `runningVariance` (ones) are buffers (``Module/registerBuffer(_:)``):
/// no gradient, but saved and loaded with the parameters, so a resumed run is bit-identical.
///
/// Shapes: input and output `[n, features]`.
public final class BatchNorm: Module {
    /// γ, ones.
    public let gain: Tensor
    /// β, zeros.
    public let offset: Tensor
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public let momentum: Float
    public let epsilon: Float

    public init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(features > 0 && momentum >= 0 && momentum <= 1 && epsilon > 0, "Funnel: BatchNorm needs features, a momentum in [0, 1] and ε > 0")
        gain = Tensor.ones([features], requiresGradient: true)
        offset = Tensor.zeros([features], requiresGradient: true)
        runningMean = Tensor.zeros([features])
        runningVariance = Tensor.ones([features])
        self.momentum = momentum
        self.epsilon = epsilon
        super.init()
        registerBuffer(runningMean)
        registerBuffer(runningVariance)
    }

    public var features: Int { gain.count }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 2 && input.shape[1] == features, "Funnel: BatchNorm over \(features) features got \(input.shape)")
        guard isTraining else {
            return Tensor.batchNormalized(input, gain: gain, offset: offset, mean: runningMean, variance: runningVariance, epsilon: epsilon)
        }
        let (output, mean, variance) = Tensor.batchNormalized(input, gain: gain, offset: offset, epsilon: epsilon)
        updateRunningStatistics(mean: mean.scalars, variance: variance.scalars, rows: input.shape[0])
        return output
    }

    private func updateRunningStatistics(mean: [Float], variance: [Float], rows: Int) {
        let keep = 1 - momentum
        runningMean.withUnsafeMutableBufferPointer { running in
            for index in running.indices { running[index] = keep * running[index] + momentum * mean[index] }
        }
        guard rows > 1 else { return }
        let unbiased = Float(rows) / Float(rows - 1)
        runningVariance.withUnsafeMutableBufferPointer { running in
            for index in running.indices { running[index] = keep * running[index] + momentum * variance[index] * unbiased }
        }
    }
}
