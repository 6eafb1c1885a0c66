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
    ///   (`funnel_sgemm_depth_sums`).
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
        var inEpilogue = funnel_epilogue(
            kind: FUNNEL_EPILOGUE_BIAS_GELU, bias: inBias.storage.pointer, gelu_output: hidden.storage.pointer,
            operand: nil, derivative: 1)
        funnel_sgemm_epilogue(
            0, 1, rows, hiddenWidth, width, input.storage.pointer, width, inWeight.storage.pointer, width,
            slopes.storage.pointer, hiddenWidth, &inEpilogue)
        let output = Tensor.uninitialized([rows, outputs])
        var outEpilogue = funnel_epilogue(
            kind: residual == nil ? FUNNEL_EPILOGUE_BIAS : FUNNEL_EPILOGUE_BIAS_RESIDUAL, bias: outBias.storage.pointer,
            gelu_output: nil, operand: residual?.storage.pointer, derivative: 0)
        funnel_sgemm_epilogue(
            0, 1, rows, outputs, hiddenWidth, hidden.storage.pointer, hiddenWidth, outWeight.storage.pointer,
            hiddenWidth, output.storage.pointer, outputs, &outEpilogue)
        return result(output, inputs: inputs, overwriting: { outputGradient, _ in
            let (outWeightGradient, outBiasGradient) = weightAndBiasGradients(
                outputGradient, part: hidden, weight: outWeight, bias: outBias)
            // dPre = (G·W₂) ∘ GELU′.
            let preActivationGradient = Tensor.uninitialized([rows, hiddenWidth])
            var multiply = funnel_epilogue(
                kind: FUNNEL_EPILOGUE_MULTIPLY, bias: nil, gelu_output: nil, operand: slopes.storage.pointer,
                derivative: 0)
            funnel_sgemm_epilogue(
                0, 0, rows, hiddenWidth, outputs, outputGradient.storage.pointer, outputs, outWeight.storage.pointer,
                hiddenWidth, preActivationGradient.storage.pointer, hiddenWidth, &multiply)
            let (inWeightGradient, inBiasGradient) = weightAndBiasGradients(
                preActivationGradient, part: input, weight: inWeight, bias: inBias)
            let inputGradient = linearPartGradient(preActivationGradient, part: input, weight: inWeight, offset: 0)
            return [inputGradient, inWeightGradient, inBiasGradient, outWeightGradient, outBiasGradient]
                + (residual == nil ? [] : [outputGradient])
        })
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
