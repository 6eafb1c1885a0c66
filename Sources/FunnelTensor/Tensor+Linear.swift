import CFunnelKernels

extension Tensor {
    /// The affine map `input·weightᵀ + bias` as one primitive: the GEMM adds the bias to each
    /// tile of the output as it stores it (`funnel_sgemm_epilogue`), so the forward pass makes
    /// no pass over the output of its own, and the backward pass computes the three gradients
    /// directly. With `residual`, the output is `residual + (input·weightᵀ + bias)` (a residual
    /// connection around the layer), the residual added by the same epilogue and its gradient
    /// the output's.
    ///
    /// Shapes: input `[rows, in]`, weight `[out, in]`, bias `[out]`, residual `[rows, out]` →
    /// `[rows, out]`.
    public static func linear(_ input: Tensor, weight: Tensor, bias: Tensor, adding residual: Tensor? = nil) -> Tensor {
        linear([input], weight: weight, bias: bias, adding: residual)
    }

    /// The affine map of the concatenation of `parts` along their last axis, without building
    /// it: `Σᵢ partsᵢ·W[:, columnsᵢ]ᵀ + bias`, where part `i` meets the weight columns that follow
    /// the previous parts'. Backward computes an input gradient only for the parts that require
    /// one, so dense features beside embeddings cost no input-gradient product; the weight's
    /// gradient is written column block by column block.
    ///
    /// With `rectified`, a ReLU follows, fused: the bias and the ReLU are applied in place to
    /// each tile of the output as the GEMM finishes it (MLP hidden layers; with several parts,
    /// one pass after the last part's GEMM), instead of a pass writing the bias, the GEMM
    /// accumulating onto it and a ReLU pass into a new tensor. The backward pass masks the
    /// gradient by the output's sign, as ReLU's does.
    ///
    /// A `residual` (one part, not rectified) is added as in ``linear(_:weight:bias:adding:)``.
    ///
    /// Shapes: parts `[rows, inᵢ]` with `Σ inᵢ = in`, weight `[out, in]`, bias `[out]` →
    /// `[rows, out]`.
    public static func linear(
        _ parts: [Tensor], weight: Tensor, bias: Tensor, rectified: Bool = false, adding residual: Tensor? = nil
    ) -> Tensor {
        precondition(!parts.isEmpty, "Funnel: linear of no parts")
        let rows = parts[0].shape[0]
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        precondition(
            weight.rank == 2 && bias.shape == [outputs] && parts.allSatisfy { $0.rank == 2 && $0.shape[0] == rows }
                && parts.reduce(0) { $0 + $1.shape[1] } == inputs
                && (residual == nil || (parts.count == 1 && !rectified && residual!.shape == [rows, outputs])),
            "Funnel: linear of parts \(parts.map(\.shape)), weight \(weight.shape), bias \(bias.shape), residual \(residual?.shape ?? [])")
        var offsets: [Int] = []
        var offset = 0
        for part in parts {
            offsets.append(offset)
            offset += part.shape[1]
        }
        let output = Tensor.uninitialized([rows, outputs])
        if parts.count == 1 {
            var epilogue = funnel_epilogue(
                kind: rectified ? FUNNEL_EPILOGUE_BIAS_RELU : residual == nil ? FUNNEL_EPILOGUE_BIAS : FUNNEL_EPILOGUE_BIAS_RESIDUAL,
                bias: bias.storage.pointer, gelu_output: nil, operand: residual?.storage.pointer, derivative: 0)
            funnel_sgemm_epilogue(
                0, 1, rows, outputs, inputs, parts[0].storage.pointer, inputs, weight.storage.pointer, inputs,
                output.storage.pointer, outputs, &epilogue)
        } else {
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
        }
        // The closure keeps the values, never the output itself: the output holds the closure.
        let values = output.detached()
        return result(output, inputs: parts + [weight, bias] + (residual.map { [$0] } ?? []), overwriting: { outputGradient, exclusive in
            // Unrectified, the bias gradient comes with the first part's weight-gradient product.
            let summedByProduct = !rectified && weight.requiresGradient && bias.requiresGradient
            var (gradient, biasGradient) = linearOutputGradient(
                outputGradient, exclusive: exclusive, values: values, bias: bias, rectified: rectified,
                summing: !summedByProduct)
            var gradients = zip(parts, offsets).map { part, offset in
                linearPartGradient(gradient, part: part, weight: weight, offset: offset)
            }
            var weightGradient: Tensor?
            if weight.requiresGradient {
                let blocks = Tensor.uninitialized([outputs, inputs])
                if summedByProduct { biasGradient = Tensor.uninitialized([outputs]) }
                for (index, (part, offset)) in zip(parts, offsets).enumerated() {
                    linearWeightBlock(
                        gradient, part: part, into: blocks, offset: offset, biasGradient: index == 0 ? biasGradient : nil)
                }
                weightGradient = blocks
            }
            gradients.append(weightGradient)
            gradients.append(biasGradient)
            if residual != nil { gradients.append(outputGradient) }
            return gradients
        })
    }

    /// The affine map followed by GELU (tanh approximation, as ``gelu()``), fused: as the GEMM
    /// finishes each tile of the products, it adds the bias and writes the GELU, keeping GELU′
    /// for the backward pass; backward, one pass multiplies the gradient by GELU′, and the weight
    /// gradient's product sums the bias gradient. Unfused, the same takes a pass writing the bias,
    /// the GEMM accumulating onto it, a GELU pass, a GELU′ pass and a column sum (a Transformer
    /// feed-forward's first layer).
    ///
    /// Shapes: input `[rows, in]`, weight `[out, in]`, bias `[out]` → `[rows, out]`.
    public static func linearGELU(_ input: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        let (rows, outputs, inputs) = (input.shape[0], weight.shape[0], weight.shape[1])
        precondition(
            input.rank == 2 && weight.rank == 2 && input.shape[1] == inputs && bias.shape == [outputs],
            "Funnel: linear GELU of input \(input.shape), weight \(weight.shape), bias \(bias.shape)")
        let preActivation = Tensor.uninitialized([rows, outputs])
        let output = Tensor.uninitialized([rows, outputs])
        let needsGradient = GradientMode.isEnabled && [input, weight, bias].contains(where: \.requiresGradient)
        // Training overwrites the pre-activation with GELU′: the backward pass multiplies
        // instead of computing a second exponential per value.
        var epilogue = funnel_epilogue(
            kind: FUNNEL_EPILOGUE_BIAS_GELU, bias: bias.storage.pointer, gelu_output: output.storage.pointer,
            operand: nil, derivative: needsGradient ? 1 : 0)
        funnel_sgemm_epilogue(
            0, 1, rows, outputs, inputs, input.storage.pointer, inputs, weight.storage.pointer, inputs,
            preActivation.storage.pointer, outputs, &epilogue)
        return result(output, inputs: [input, weight, bias], overwriting: { outputGradient, exclusive in
            let gradient = exclusive ? outputGradient : Tensor.uninitialized([rows, outputs])
            funnel_gelu_backward_rows(
                outputGradient.storage.pointer, preActivation.storage.pointer, gradient.storage.pointer, nil, rows,
                outputs)
            let (weightGradient, biasGradient) = weightAndBiasGradients(gradient, part: input, weight: weight, bias: bias)
            return [linearPartGradient(gradient, part: input, weight: weight, offset: 0), weightGradient, biasGradient]
        })
    }

    /// The backward pass's gradient of a linear map's pre-activation `[rows, out]` and of its
    /// bias: with `rectified`, one pass masks by the output's sign (`values`) and sums the bias
    /// gradient, writing into the output's gradient when the engine hands it over (`exclusive`).
    /// Unrectified and without `summing`, no bias gradient (the weight's product sums it).
    static func linearOutputGradient(
        _ outputGradient: Tensor, exclusive: Bool, values: Tensor, bias: Tensor, rectified: Bool, summing: Bool = true
    ) -> (gradient: Tensor, bias: Tensor?) {
        guard rectified else {
            return (outputGradient, bias.requiresGradient && summing ? outputGradient.sum(alongAxes: [0]) : nil)
        }
        let (rows, outputs) = (outputGradient.shape[0], outputGradient.shape[1])
        let gradient = exclusive ? outputGradient : Tensor.uninitialized([rows, outputs])
        let biasGradient = bias.requiresGradient ? Tensor.uninitialized([outputs]) : nil
        funnel_relu_backward_rows(
            outputGradient.storage.pointer, values.storage.pointer, gradient.storage.pointer, biasGradient?.storage.pointer,
            rows, outputs)
        return (gradient, biasGradient)
    }

    /// ∂/∂part = G·W[:, columns] (`nil` for a part that needs no gradient): the part's block of W
    /// read in place, from column `offset` on.
    static func linearPartGradient(_ gradient: Tensor, part: Tensor, weight: Tensor, offset: Int) -> Tensor? {
        guard part.requiresGradient else { return nil }
        let (rows, outputs, width) = (gradient.shape[0], gradient.shape[1], part.shape[1])
        let partGradient = Tensor.uninitialized([rows, width])
        funnel_sgemm(
            0, 0, rows, width, outputs, 1, gradient.storage.pointer, outputs, weight.storage.pointer + offset,
            weight.shape[1], 0, partGradient.storage.pointer, width)
        return partGradient
    }

    /// Writes Gᵀ·part into the weight gradient's columns from `offset` on, and with
    /// `biasGradient` the column sums of G into it, summed as the product reads G
    /// (`funnel_sgemm_depth_sums`).
    static func linearWeightBlock(
        _ gradient: Tensor, part: Tensor, into blocks: Tensor, offset: Int, biasGradient: Tensor? = nil
    ) {
        let (rows, outputs, width) = (gradient.shape[0], gradient.shape[1], part.shape[1])
        if let biasGradient {
            funnel_sgemm_depth_sums(
                1, 0, outputs, width, rows, gradient.storage.pointer, outputs, part.storage.pointer, width,
                blocks.storage.pointer + offset, blocks.shape[1], biasGradient.storage.pointer)
        } else {
            funnel_sgemm(
                1, 0, outputs, width, rows, 1, gradient.storage.pointer, outputs, part.storage.pointer, width, 0,
                blocks.storage.pointer + offset, blocks.shape[1])
        }
    }
}
