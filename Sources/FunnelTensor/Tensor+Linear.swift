import CFunnelKernels

extension Tensor {
    /// The affine map `input·weightᵀ + bias` as one primitive: the bias is written into the
    /// output and the GEMM accumulates onto it, so the forward pass makes one pass over the
    /// output instead of two, and the backward pass computes the three gradients directly.
    ///
    /// Shapes: input `[rows, in]`, weight `[out, in]`, bias `[out]` → `[rows, out]`.
    public static func linear(_ input: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        precondition(
            input.rank == 2 && weight.rank == 2 && bias.shape == [weight.shape[0]] && input.shape[1] == weight.shape[1],
            "Funnel: linear of input \(input.shape), weight \(weight.shape), bias \(bias.shape)")
        let rows = input.shape[0]
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        let output = Tensor.uninitialized([rows, outputs])
        for row in 0..<rows {
            (output.storage.pointer + row * outputs).update(from: bias.storage.pointer, count: outputs)
        }
        funnel_sgemm(
            0, 1, rows, outputs, inputs, 1, input.storage.pointer, inputs, weight.storage.pointer, inputs, 1,
            output.storage.pointer, outputs)
        return result(output, inputs: [input, weight, bias]) { gradient in
            [
                input.requiresGradient ? matmul(gradient, weight) : nil,
                weight.requiresGradient ? matmul(gradient, input, transposeLeft: true) : nil,
                bias.requiresGradient ? gradient.sum(alongAxes: [0]) : nil,
            ]
        }
    }
}
