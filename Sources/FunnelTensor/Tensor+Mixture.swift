import CFunnelKernels

extension Tensor {
    /// The gated mixture of expert outputs, `Σ_k weights[:, k] · experts[k]` per row, as one
    /// primitive (the mixing step of MMoE and PLE, multitask.md §1–§2). It reads every expert's
    /// output where it lies: no `[n, k, width]` stack is copied forward, and backward writes each
    /// expert's gradient directly instead of slicing a stacked one.
    ///
    /// Shapes: `k` experts `[n, width]` each, weights `[n, k]` → `[n, width]`.
    public static func mixture(_ experts: [Tensor], weights: Tensor) -> Tensor {
        precondition(!experts.isEmpty, "Funnel: a mixture needs experts")
        let rows = experts[0].shape.first ?? 0, width = experts[0].rank == 2 ? experts[0].shape[1] : 0
        precondition(
            experts.allSatisfy { $0.shape == [rows, width] } && weights.shape == [rows, experts.count],
            "Funnel: a mixture of \(experts.map(\.shape)) with weights \(weights.shape)")
        let output = Tensor.uninitialized([rows, width])
        let sources = experts.map { UnsafePointer<Float>?($0.storage.pointer) }
        sources.withUnsafeBufferPointer { sources in
            funnel_mixture(sources.baseAddress, weights.storage.pointer, experts.count, rows, width, output.storage.pointer)
        }
        return result(output, inputs: experts + [weights]) { gradient in
            let expertGradients = experts.map { $0.requiresGradient ? Tensor.uninitialized([rows, width]) : nil }
            let weightGradient = weights.requiresGradient ? Tensor.uninitialized(weights.shape) : nil
            let targets = expertGradients.map { $0?.storage.pointer }
            sources.withUnsafeBufferPointer { sources in
                targets.withUnsafeBufferPointer { targets in
                    funnel_mixture_backward(
                        gradient.storage.pointer, sources.baseAddress, weights.storage.pointer, experts.count, rows, width,
                        targets.baseAddress, weightGradient?.storage.pointer)
                }
            }
            return expertGradients + [weightGradient]
        }
    }
}
