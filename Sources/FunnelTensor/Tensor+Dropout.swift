import CFunnelKernels

extension Tensor {
    /// Inverted dropout (Srivastava et al., JMLR 2014): each element is kept with probability
    /// `keep` and scaled by `1/keep`, else zeroed. Element i's fate is a hash of (`key`, i), not
    /// a stored mask: the backward pass applies the same mask to the gradient by recomputing
    /// it, the pass vectorises, and the mask does not depend on the thread count. Draw `key`
    /// from the step's seeded generator.
    ///
    /// Shapes: input and output alike.
    public static func dropout(_ input: Tensor, keep: Float, key: UInt64) -> Tensor {
        precondition(keep > 0 && keep <= 1, "Funnel: dropout keeps a probability in (0, 1], got \(keep)")
        precondition(input.count < 1 << 32, "Funnel: dropout over \(input.count) elements (at most 2³² − 1)")
        let threshold = dropoutThreshold(keep: keep)
        let scale = 1 / keep
        let output = Tensor.uninitialized(input.shape)
        funnel_dropout(input.storage.pointer, output.storage.pointer, input.count, key, threshold, scale)
        return result(output, inputs: [input]) { gradient in
            let inputGradient = Tensor.uninitialized(input.shape)
            funnel_dropout(gradient.storage.pointer, inputGradient.storage.pointer, input.count, key, threshold, scale)
            return [inputGradient]
        }
    }

    /// The 24-bit threshold below which a hash keeps its element.
    static func dropoutThreshold(keep: Float) -> UInt32 {
        UInt32(Swift.min((Double(keep) * 16_777_216).rounded(.up), 16_777_216))
    }
}
