import CFunnelKernels

extension Tensor {
    /// Batch normalisation with the batch's own statistics (Ioffe & Szegedy, ICML 2015), as one
    /// primitive: `(x − mean_B)/√(var_B + ε)·gain + offset` per column, with the biased batch
    /// variance, as PyTorch's `BatchNorm1d` in training. Two column passes and one row pass
    /// forward, one of each backward, replace the dozen element-wise operations and reductions
    /// of the composed form; the gradient flows through the batch statistics.
    ///
    /// Shapes: input `[rows, width]`, gain and offset `[width]` → output `[rows, width]`, and
    /// the batch `mean` and `variance` (`[width]`, no gradient) for the running statistics.
    public static func batchNormalized(
        _ input: Tensor, gain: Tensor, offset: Tensor, epsilon: Float
    ) -> (output: Tensor, mean: Tensor, variance: Tensor) {
        let width = checkBatchNormalization(input, gain: gain, offset: offset)
        let mean = Tensor.uninitialized([width])
        let variance = Tensor.uninitialized([width])
        let output = batchNormalized(input, gain: gain, offset: offset, mean: mean, variance: variance, epsilon: epsilon, batchStatistics: true)
        return (output, mean, variance)
    }

    /// Batch normalisation with given statistics (the running ones, in evaluation): `(x −
    /// mean)/√(variance + ε)·gain + offset` per column, one pass each way.
    ///
    /// Shapes: input `[rows, width]`; gain, offset, mean and variance `[width]` (the statistics
    /// take no gradient) → `[rows, width]`.
    public static func batchNormalized(
        _ input: Tensor, gain: Tensor, offset: Tensor, mean: Tensor, variance: Tensor, epsilon: Float
    ) -> Tensor {
        let width = checkBatchNormalization(input, gain: gain, offset: offset)
        precondition(mean.shape == [width] && variance.shape == [width], "Funnel: batch normalisation statistics \(mean.shape), \(variance.shape) for width \(width)")
        return batchNormalized(input, gain: gain, offset: offset, mean: mean, variance: variance, epsilon: epsilon, batchStatistics: false)
    }

    private static func checkBatchNormalization(_ input: Tensor, gain: Tensor, offset: Tensor) -> Int {
        let width = input.rank == 2 ? input.shape[1] : 0
        precondition(
            input.rank == 2 && gain.shape == [width] && offset.shape == [width],
            "Funnel: batch normalisation of \(input.shape) with gain \(gain.shape) and offset \(offset.shape)")
        return width
    }

    private static func batchNormalized(
        _ input: Tensor, gain: Tensor, offset: Tensor, mean: Tensor, variance: Tensor, epsilon: Float,
        batchStatistics: Bool
    ) -> Tensor {
        let rows = input.shape[0], width = input.shape[1]
        let output = Tensor.uninitialized(input.shape)
        let inverseDeviation = Tensor.uninitialized([width])
        funnel_batch_norm(
            input.storage.pointer, rows, width, gain.storage.pointer, offset.storage.pointer, epsilon,
            batchStatistics ? 1 : 0, mean.storage.pointer, variance.storage.pointer,
            inverseDeviation.storage.pointer, output.storage.pointer)
        return result(output, inputs: [input, gain, offset]) { gradient in
            let inputGradient = input.requiresGradient ? Tensor.uninitialized(input.shape) : nil
            let gainGradient = gain.requiresGradient ? Tensor.uninitialized([width]) : nil
            let offsetGradient = offset.requiresGradient ? Tensor.uninitialized([width]) : nil
            funnel_batch_norm_backward(
                gradient.storage.pointer, input.storage.pointer, rows, width, gain.storage.pointer,
                mean.storage.pointer, inverseDeviation.storage.pointer, batchStatistics ? 1 : 0,
                inputGradient?.storage.pointer, gainGradient?.storage.pointer, offsetGradient?.storage.pointer)
            return [inputGradient, gainGradient, offsetGradient]
        }
    }
}
