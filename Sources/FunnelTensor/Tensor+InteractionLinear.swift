import CFunnelKernels

extension Tensor {
    /// DIN's first attention layer, `linear(targetInteractions(target, sequence), weight, bias)`
    /// (entire-space.md §9.2), without building the `[n, L, 4d]` interactions. Split the weight
    /// into its four `d`-column blocks, `W = [W₁ W₂ W₃ W₄]`:
    /// ```
    /// [t, s, t − s, t ⊙ s]·Wᵀ = t·(W₁ + W₃)ᵀ + s·(W₂ − W₃)ᵀ + (t ⊙ s)·W₄ᵀ
    /// ```
    /// The target's term is computed once per row instead of once per position, so the product
    /// over positions has depth `2d` instead of `4d` (half the first layer's arithmetic forward
    /// and backward), and the pass that wrote the interactions writes `[s, t ⊙ s]` only. The
    /// weight's gradient is mapped back to the four blocks (`∂W₃ = ∂(W₁ + W₃) − ∂(W₂ − W₃)`), so
    /// the layer, its parameters and its checkpoints are those of the composite. The sums are
    /// associated differently, so results agree with the composite to rounding, not bit for bit.
    ///
    /// Shapes: target `[n, d]`, sequence `[n, L, d]`, weight `[h, 4d]`, bias `[h]` → `[n, L, h]`.
    public static func linearOfTargetInteractions(
        target: Tensor, sequence: Tensor, weight: Tensor, bias: Tensor
    ) -> Tensor {
        precondition(
            target.rank == 2 && sequence.rank == 3 && weight.rank == 2 && sequence.shape[0] == target.shape[0]
                && sequence.shape[2] == target.shape[1] && weight.shape[1] == 4 * target.shape[1]
                && bias.shape == [weight.shape[0]],
            "Funnel: interaction linear of target \(target.shape), sequence \(sequence.shape), weight \(weight.shape), bias \(bias.shape)")
        let (rows, length, width, outputs) = (sequence.shape[0], sequence.shape[1], sequence.shape[2], weight.shape[0])
        let pairCount = rows * length
        let (targetWeight, pairWeight) = foldedInteractionWeights(weight, width: width)
        // Every position's pair [s, t ⊙ s].
        let pairs = Tensor.uninitialized([pairCount, 2 * width])
        let (t, s, p) = (target.storage.pointer, sequence.storage.pointer, pairs.storage.pointer)
        for row in 0..<rows {
            for position in 0..<length {
                let index = row * length + position
                let (behaviour, out) = (s + index * width, p + index * 2 * width)
                for column in 0..<width {
                    out[column] = behaviour[column]
                    out[width + column] = t[row * width + column] * behaviour[column]
                }
            }
        }
        // The target's term and the bias, once per row, copied to the row's positions; the
        // pairs' product accumulates onto it.
        let targetTerm = Tensor.uninitialized([rows, outputs])
        for row in 0..<rows {
            (targetTerm.storage.pointer + row * outputs).update(from: bias.storage.pointer, count: outputs)
        }
        funnel_sgemm(
            0, 1, rows, outputs, width, 1, t, width, targetWeight.storage.pointer, width, 1,
            targetTerm.storage.pointer, outputs)
        let output = Tensor.uninitialized([rows, length, outputs])
        for row in 0..<rows {
            for position in 0..<length {
                (output.storage.pointer + (row * length + position) * outputs).update(
                    from: targetTerm.storage.pointer + row * outputs, count: outputs)
            }
        }
        funnel_sgemm(
            0, 1, pairCount, outputs, 2 * width, 1, p, 2 * width, pairWeight.storage.pointer, 2 * width, 1,
            output.storage.pointer, outputs)
        return result(output, inputs: [target, sequence, weight, bias]) { gradient in
            let (g, p) = (gradient.storage.pointer, pairs.storage.pointer)
            // ∂ target term: the positions' gradients summed in position order.
            let targetTermGradient = Tensor.zeros([rows, outputs])
            let dT = targetTermGradient.storage.pointer
            for row in 0..<rows {
                for position in 0..<length {
                    let incoming = g + (row * length + position) * outputs
                    for column in 0..<outputs { dT[row * outputs + column] += incoming[column] }
                }
            }
            var targetGradient: Tensor?
            var sequenceGradient: Tensor?
            if target.requiresGradient || sequence.requiresGradient {
                let pairGradient = Tensor.uninitialized([pairCount, 2 * width])
                let dP = pairGradient.storage.pointer
                funnel_sgemm(
                    0, 0, pairCount, 2 * width, outputs, 1, g, outputs, pairWeight.storage.pointer, 2 * width, 0, dP,
                    2 * width)
                if target.requiresGradient {
                    // d/dt: ∂T·(W₁ + W₃) + Σ_positions ∂(t ⊙ s) ⊙ s.
                    let dt = Tensor.uninitialized([rows, width])
                    funnel_sgemm(
                        0, 0, rows, width, outputs, 1, dT, outputs, targetWeight.storage.pointer, width, 0,
                        dt.storage.pointer, width)
                    for row in 0..<rows {
                        let out = dt.storage.pointer + row * width
                        for position in 0..<length {
                            let index = row * length + position
                            let (incoming, behaviour) = (dP + index * 2 * width + width, s + index * width)
                            for column in 0..<width { out[column] += incoming[column] * behaviour[column] }
                        }
                    }
                    targetGradient = dt
                }
                if sequence.requiresGradient {
                    // d/ds: ∂s + ∂(t ⊙ s) ⊙ t.
                    let ds = Tensor.uninitialized(sequence.shape)
                    for row in 0..<rows {
                        for position in 0..<length {
                            let index = row * length + position
                            let (incoming, out) = (dP + index * 2 * width, ds.storage.pointer + index * width)
                            for column in 0..<width {
                                out[column] = incoming[column] + incoming[width + column] * t[row * width + column]
                            }
                        }
                    }
                    sequenceGradient = ds
                }
            }
            let weightGradient = weight.requiresGradient
                ? unfoldedInteractionGradient(
                    gradient: g, pairs: p, pairCount: pairCount, targetTermGradient: dT, target: t, rows: rows,
                    width: width, outputs: outputs)
                : nil
            return [
                targetGradient, sequenceGradient, weightGradient,
                bias.requiresGradient ? targetTermGradient.sum(alongAxes: [0]) : nil,
            ]
        }
    }

    /// `W₁ + W₃` `[h, d]` and `[W₂ − W₃, W₄]` `[h, 2d]` from `weight` `[h, 4d]`.
    private static func foldedInteractionWeights(_ weight: Tensor, width: Int) -> (target: Tensor, pair: Tensor) {
        let outputs = weight.shape[0]
        let targetWeight = Tensor.uninitialized([outputs, width])
        let pairWeight = Tensor.uninitialized([outputs, 2 * width])
        let (w, tw, pw) = (weight.storage.pointer, targetWeight.storage.pointer, pairWeight.storage.pointer)
        for output in 0..<outputs {
            let row = w + output * 4 * width
            for column in 0..<width {
                tw[output * width + column] = row[column] + row[2 * width + column]
                pw[output * 2 * width + column] = row[width + column] - row[2 * width + column]
                pw[output * 2 * width + width + column] = row[3 * width + column]
            }
        }
        return (targetWeight, pairWeight)
    }

    /// The weight's gradient `[h, 4d]` from the folded weights' gradients: `∂(W₁ + W₃) = ∂Tᵀ·t`
    /// and `∂[W₂ − W₃, W₄] = Gᵀ·[s, t ⊙ s]` give `∂W₁ = ∂(W₁ + W₃)`, `∂W₂ = ∂(W₂ − W₃)`,
    /// `∂W₃ = ∂W₁ − ∂W₂`, `∂W₄`.
    private static func unfoldedInteractionGradient(
        gradient: UnsafePointer<Float>, pairs: UnsafePointer<Float>, pairCount: Int,
        targetTermGradient: UnsafePointer<Float>, target: UnsafePointer<Float>, rows: Int, width: Int, outputs: Int
    ) -> Tensor {
        let targetWeightGradient = Tensor.uninitialized([outputs, width])
        let pairWeightGradient = Tensor.uninitialized([outputs, 2 * width])
        funnel_sgemm(
            1, 0, outputs, width, rows, 1, targetTermGradient, outputs, target, width, 0,
            targetWeightGradient.storage.pointer, width)
        funnel_sgemm(
            1, 0, outputs, 2 * width, pairCount, 1, gradient, outputs, pairs, 2 * width, 0,
            pairWeightGradient.storage.pointer, 2 * width)
        let weightGradient = Tensor.uninitialized([outputs, 4 * width])
        let (dw, dtw, dpw) = (
            weightGradient.storage.pointer, targetWeightGradient.storage.pointer, pairWeightGradient.storage.pointer
        )
        for output in 0..<outputs {
            let row = dw + output * 4 * width
            for column in 0..<width {
                let (targetPart, behaviourPart) = (dtw[output * width + column], dpw[output * 2 * width + column])
                row[column] = targetPart
                row[width + column] = behaviourPart
                row[2 * width + column] = targetPart - behaviourPart
                row[3 * width + column] = dpw[output * 2 * width + width + column]
            }
        }
        return weightGradient
    }
}
