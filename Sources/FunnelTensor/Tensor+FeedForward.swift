import CFunnelKernels

extension Tensor {
    /// A Transformer's feed-forward sublayer with GELU (tanh approximation) as one primitive:
    /// `residual + GELU(input·W₁ᵀ + b₁)·W₂ᵀ + b₂`, the values and gradients of
    /// ``linearGELU(_:weight:bias:)`` followed by ``linear(_:weight:bias:adding:)``, with the
    /// backward pass fused across the two layers:
    /// - the product `G·W₂`, the hidden layer's gradient, is multiplied by GELU′ as the GEMM
    ///   finishes each tile (`FUNNEL_EPILOGUE_MULTIPLY`), where the two layers apart write it
    ///   and then read it back for a pass of their own;
    /// - each bias gradient is summed while the weight-gradient product reads the gradient
    ///   (`funnel_sgemm_depth_sums`);
    /// - both passes run in chunks of rows, one thread each, so that the hidden layer and its
    ///   gradient stay in cache between the products (`funnel_feed_forward_gelu`), with the
    ///   bits of the products over all rows.
    ///
    /// Shapes: input `[rows, d]`, inWeight `[hidden, d]`, inBias `[hidden]`, outWeight
    /// `[out, hidden]`, outBias `[out]`, residual `[rows, out]` → `[rows, out]`.
    public static func feedForwardGELU(
        _ input: Tensor, inWeight: Tensor, inBias: Tensor, outWeight: Tensor, outBias: Tensor,
        adding residual: Tensor? = nil
    ) -> Tensor {
        let (rows, width) = (input.shape[0], input.shape[1])
        let (hiddenWidth, outputs) = (inWeight.shape[0], outWeight.shape[0])
        precondition(
            input.rank == 2 && inWeight.shape == [hiddenWidth, width] && inBias.shape == [hiddenWidth]
                && outWeight.shape == [outputs, hiddenWidth] && outBias.shape == [outputs]
                && (residual == nil || residual!.shape == [rows, outputs]),
            "Funnel: feed-forward of input \(input.shape), weights \(inWeight.shape) and \(outWeight.shape), "
                + "biases \(inBias.shape) and \(outBias.shape), residual \(residual?.shape ?? [])")
        let inputs = [input, inWeight, inBias, outWeight, outBias] + (residual.map { [$0] } ?? [])
        guard GradientMode.isEnabled, inputs.contains(where: \.requiresGradient) else {
            return linear(linearGELU(input, weight: inWeight, bias: inBias), weight: outWeight, bias: outBias, adding: residual)
        }
        // GELU′ of the pre-activation, kept by the first GEMM's epilogue.
        let slopes = Tensor.uninitialized([rows, hiddenWidth])
        let hidden = Tensor.uninitialized([rows, hiddenWidth])
        let output = Tensor.uninitialized([rows, outputs])
        funnel_feed_forward_gelu(
            rows, width, hiddenWidth, outputs, input.storage.pointer, inWeight.storage.pointer, inBias.storage.pointer,
            outWeight.storage.pointer, outBias.storage.pointer, residual?.storage.pointer, hidden.storage.pointer,
            slopes.storage.pointer, output.storage.pointer)
        return result(output, inputs: inputs, overwriting: { outputGradient, _ in
            let parameters = [input, inWeight, inBias, outWeight, outBias]
            guard parameters.allSatisfy(\.requiresGradient) else {
                return partialGradients(
                    outputGradient, input: input, inWeight: inWeight, inBias: inBias, outWeight: outWeight,
                    outBias: outBias, hidden: hidden, slopes: slopes) + (residual == nil ? [] : [outputGradient])
            }
            let gradients = parameters.map { Tensor.uninitialized($0.shape) }
            funnel_feed_forward_gelu_backward(
                rows, width, hiddenWidth, outputs, input.storage.pointer, inWeight.storage.pointer,
                outWeight.storage.pointer, hidden.storage.pointer, slopes.storage.pointer, outputGradient.storage.pointer,
                gradients[0].storage.pointer, gradients[1].storage.pointer, gradients[2].storage.pointer,
                gradients[3].storage.pointer, gradients[4].storage.pointer)
            return gradients + (residual == nil ? [] : [outputGradient])
        })
    }

    /// The backward pass where some of the input and parameters need no gradient (`nil` for
    /// those): the products of ``funnel_feed_forward_gelu_backward`` one by one.
    private static func partialGradients(
        _ outputGradient: Tensor, input: Tensor, inWeight: Tensor, inBias: Tensor, outWeight: Tensor, outBias: Tensor,
        hidden: Tensor, slopes: Tensor
    ) -> [Tensor?] {
        let (rows, hiddenWidth, outputs) = (input.shape[0], inWeight.shape[0], outWeight.shape[0])
        let (outWeightGradient, outBiasGradient) = weightAndBiasGradients(
            outputGradient, part: hidden, weight: outWeight, bias: outBias)
        // dPre = (G·W₂) ∘ GELU′.
        let preActivationGradient = Tensor.uninitialized([rows, hiddenWidth])
        var multiply = funnel_epilogue(
            kind: FUNNEL_EPILOGUE_MULTIPLY, bias: nil, gelu_output: nil, operand: slopes.storage.pointer, derivative: 0)
        funnel_sgemm_epilogue(
            0, 0, rows, hiddenWidth, outputs, outputGradient.storage.pointer, outputs, outWeight.storage.pointer,
            hiddenWidth, preActivationGradient.storage.pointer, hiddenWidth, &multiply)
        let (inWeightGradient, inBiasGradient) = weightAndBiasGradients(
            preActivationGradient, part: input, weight: inWeight, bias: inBias)
        let inputGradient = linearPartGradient(preActivationGradient, part: input, weight: inWeight, offset: 0)
        return [inputGradient, inWeightGradient, inBiasGradient, outWeightGradient, outBiasGradient]
    }

    /// A linear layer's weight gradient `Gᵀ·part` `[out, in]` and bias gradient `Σ_rows G` `[out]`
    /// (`nil` where not required), the bias's summed by the weight's product when both are.
    static func weightAndBiasGradients(
        _ gradient: Tensor, part: Tensor, weight: Tensor, bias: Tensor
    ) -> (weight: Tensor?, bias: Tensor?) {
        guard weight.requiresGradient else {
            return (nil, bias.requiresGradient ? gradient.sum(alongAxes: [0]) : nil)
        }
        let weightGradient = Tensor.uninitialized(weight.shape)
        let biasGradient = bias.requiresGradient ? Tensor.uninitialized(bias.shape) : nil
        linearWeightBlock(gradient, part: part, into: weightGradient, offset: 0, biasGradient: biasGradient)
        return (weightGradient, biasGradient)
    }
}
