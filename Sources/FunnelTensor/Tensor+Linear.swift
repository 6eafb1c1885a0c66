import CFunnelKernels

extension Tensor {
    /// The affine map `input·weightᵀ + bias` as one primitive: the bias is written into the
    /// output and the GEMM accumulates onto it, so the forward pass makes one pass over the
    /// output instead of two, and the backward pass computes the three gradients directly.
    ///
    /// Shapes: input `[rows, in]`, weight `[out, in]`, bias `[out]` → `[rows, out]`.
    public static func linear(_ input: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        linear([input], weight: weight, bias: bias)
    }

    /// The affine map of the concatenation of `parts` along their last axis, without building
    /// it: `Σᵢ partsᵢ·W[:, columnsᵢ]ᵀ + bias`, where part `i` meets the weight columns that follow
    /// the previous parts'. Backward computes an input gradient only for the parts that require
    /// one, so dense features beside embeddings cost no input-gradient product; the weight's
    /// gradient is written column block by column block.
    ///
    /// With `rectified`, a ReLU follows, fused: the GEMM writes the products and one pass adds
    /// the bias and rectifies in place (MLP hidden layers), instead of a pass writing the bias,
    /// the GEMM accumulating onto it and a ReLU pass into a new tensor. The backward pass masks
    /// the gradient by the output's sign, as ReLU's does.
    ///
    /// Shapes: parts `[rows, inᵢ]` with `Σ inᵢ = in`, weight `[out, in]`, bias `[out]` →
    /// `[rows, out]`.
    public static func linear(_ parts: [Tensor], weight: Tensor, bias: Tensor, rectified: Bool = false) -> Tensor {
        precondition(!parts.isEmpty, "Funnel: linear of no parts")
        let rows = parts[0].shape[0]
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        precondition(
            weight.rank == 2 && bias.shape == [outputs] && parts.allSatisfy { $0.rank == 2 && $0.shape[0] == rows }
                && parts.reduce(0) { $0 + $1.shape[1] } == inputs,
            "Funnel: linear of parts \(parts.map(\.shape)), weight \(weight.shape), bias \(bias.shape)")
        var offsets: [Int] = []
        var offset = 0
        for part in parts {
            offsets.append(offset)
            offset += part.shape[1]
        }
        let output = Tensor.uninitialized([rows, outputs])
        if !rectified {
            funnel_repeat_row(bias.storage.pointer, output.storage.pointer, rows, outputs)
        }
        for (index, (part, offset)) in zip(parts, offsets).enumerated() {
            funnel_sgemm(
                0, 1, rows, outputs, part.shape[1], 1, part.storage.pointer, part.shape[1],
                weight.storage.pointer + offset, inputs, rectified && index == 0 ? 0 : 1, output.storage.pointer,
                outputs)
        }
        if rectified {
            funnel_add_relu_rows(output.storage.pointer, bias.storage.pointer, rows, outputs)
        }
        // The closure keeps the values, never the output itself: the output holds the closure.
        let values = output.detached()
        return result(output, inputs: parts + [weight, bias], overwriting: { outputGradient, exclusive in
            var gradient = outputGradient
            var biasGradient: Tensor?
            if rectified {
                // One pass masks by the output's sign and sums the bias gradient, in place when the
                // engine hands over the gradient.
                gradient = exclusive ? outputGradient : Tensor.uninitialized([rows, outputs])
                biasGradient = bias.requiresGradient ? Tensor.uninitialized([outputs]) : nil
                funnel_relu_backward_rows(
                    outputGradient.storage.pointer, values.storage.pointer, gradient.storage.pointer,
                    biasGradient?.storage.pointer, rows, outputs)
            } else if bias.requiresGradient {
                biasGradient = gradient.sum(alongAxes: [0])
            }
            var gradients: [Tensor?] = zip(parts, offsets).map { part, offset in
                guard part.requiresGradient else { return nil }
                // ∂/∂part = G·W[:, columns]: the part's block of W read in place.
                let width = part.shape[1]
                let partGradient = Tensor.uninitialized([rows, width])
                funnel_sgemm(
                    0, 0, rows, width, outputs, 1, gradient.storage.pointer, outputs,
                    weight.storage.pointer + offset, inputs, 0, partGradient.storage.pointer, width)
                return partGradient
            }
            var weightGradient: Tensor?
            if weight.requiresGradient {
                let blocks = Tensor.uninitialized([outputs, inputs])
                for (part, offset) in zip(parts, offsets) {
                    funnel_sgemm(
                        1, 0, outputs, part.shape[1], rows, 1, gradient.storage.pointer, outputs,
                        part.storage.pointer, part.shape[1], 0, blocks.storage.pointer + offset, inputs)
                }
                weightGradient = blocks
            }
            gradients.append(weightGradient)
            gradients.append(biasGradient)
            return gradients
        })
    }
}
