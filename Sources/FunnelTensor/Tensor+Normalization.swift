import CFunnelKernels

extension Tensor {
    /// Layer normalisation over the last axis (Ba et al., arXiv 1607.06450) as one primitive:
    /// `(x − mean)/√(var + ε)·gain + offset` with the biased variance, as PyTorch's
    /// `nn.LayerNorm`. One pass forward and one backward replace the dozen element-wise
    /// operations and reductions of the composed form (a transformer block normalises twice).
    ///
    /// Shapes: input `[..., width]`, gain and offset `[width]` → `[..., width]`.
    public static func layerNormalized(_ input: Tensor, gain: Tensor, offset: Tensor, epsilon: Float) -> Tensor {
        let width = input.shape.last ?? 0
        precondition(
            input.rank >= 1 && gain.shape == [width] && offset.shape == [width],
            "Funnel: layer normalisation of \(input.shape) with gain \(gain.shape) and offset \(offset.shape)")
        let rows = input.count / Swift.max(width, 1)
        let output = Tensor.uninitialized(input.shape)
        let means = Tensor.uninitialized([rows])
        let inverseDeviation = Tensor.uninitialized([rows])
        funnel_layer_norm(
            input.storage.pointer, gain.storage.pointer, offset.storage.pointer, output.storage.pointer,
            means.storage.pointer, inverseDeviation.storage.pointer, rows, width, epsilon)
        return result(output, inputs: [input, gain, offset]) { gradient in
            let inputGradient = input.requiresGradient ? Tensor.uninitialized(input.shape) : nil
            let gainGradient = gain.requiresGradient ? Tensor.uninitialized([width]) : nil
            let offsetGradient = offset.requiresGradient ? Tensor.uninitialized([width]) : nil
            funnel_layer_norm_backward(
                gradient.storage.pointer, gain.storage.pointer, input.storage.pointer, means.storage.pointer,
                inverseDeviation.storage.pointer, inputGradient?.storage.pointer, gainGradient?.storage.pointer,
                offsetGradient?.storage.pointer, rows, width)
            return [inputGradient, gainGradient, offsetGradient]
        }
    }
}
