import CFunnelKernels

// Reductions over axes. Each axis is reduced by one kernel call over [outer, axis, inner] with a
// fixed summation order, so results do not depend on the thread count's timing.

extension Tensor {
    /// Sum over the given axes (all axes when `nil`).
    /// - Parameters:
    ///   - axes: the axes to reduce; negative values count from the end.
    ///   - keepingDimensions: keep each reduced axis with extent 1.
    public func sum(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        reduction(FUNNEL_REDUCE_SUM, axes, keepingDimensions) { gradient, _, keptShape in
            gradient.reshaped(keptShape).broadcasted(to: self.shape)
        }
    }

    /// Mean over the given axes (all axes when `nil`).
    /// `x / max(‖x‖₂, 1e-12)` along `axis` (PyTorch's `F.normalize`): unit vectors, a zero
    /// vector left at zero. Composite: its gradient comes from the primitives.
    public func l2Normalised(alongAxis axis: Int) -> Tensor {
        self / (self * self).sum(alongAxes: [axis], keepingDimensions: true).clamped(min: 1e-24).sqrt()
    }

    public func mean(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let reduced = resolvedAxes(axes).reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Float(reduced)
    }

    /// Maximum over the given axes (all axes when `nil`); tied maxima share the gradient.
    public func max(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        reduction(FUNNEL_REDUCE_MAX, axes, keepingDimensions) { gradient, output, keptShape in
            let mask = self.detached() .== output.reshaped(keptShape)
            let ties = mask.sum(alongAxes: axes, keepingDimensions: true)
            return gradient.reshaped(keptShape) * mask / ties
        }
    }

    /// Minimum over the given axes (all axes when `nil`); tied minima share the gradient.
    public func min(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        reduction(FUNNEL_REDUCE_MIN, axes, keepingDimensions) { gradient, output, keptShape in
            let mask = self.detached() .== output.reshaped(keptShape)
            let ties = mask.sum(alongAxes: axes, keepingDimensions: true)
            return gradient.reshaped(keptShape) * mask / ties
        }
    }

    /// log Σ exp(x) over the given axes, computed with the maximum subtracted (stable).
    public func logSumExp(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        reduction(FUNNEL_REDUCE_LOG_SUM_EXP, axes, keepingDimensions) { gradient, _, kept in
            // The softmax over the axes, from the shifted values: exp(x − lse) would inherit
            // the rounding of a large lse.
            let input = self.detached()
            let shifted = (input - input.max(alongAxes: axes, keepingDimensions: true)).exp()
            return gradient.reshaped(kept) * shifted / shifted.sum(alongAxes: axes, keepingDimensions: true)
        }
    }

    /// Sums a broadcast result back to `target` (the shape of an operand that was broadcast).
    public func sum(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let leading = rank - target.count
        precondition(leading >= 0, "Funnel: cannot sum shape \(shape) to \(target)")
        var axes = Array(0..<leading)
        for axis in target.indices where target[axis] == 1 && shape[leading + axis] != 1 {
            axes.append(leading + axis)
        }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(target)
    }

    private func resolvedAxes(_ axes: [Int]?) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        let normalized = Set(axes.map { normalizedAxis($0) })
        precondition(normalized.count == axes.count, "Funnel: repeated axis in \(axes)")
        return normalized.sorted()
    }

    /// Reduces `axes` one at a time; `backward(gradient, output, keptShape)` gives the input's
    /// gradient from the output's.
    private func reduction(
        _ operation: funnel_reduce_op, _ axes: [Int]?, _ keepingDimensions: Bool,
        backward: @escaping (Tensor, Tensor, [Int]) -> Tensor
    ) -> Tensor {
        let axes = resolvedAxes(axes)
        var keptShape = shape
        for axis in axes { keptShape[axis] = 1 }
        var values = self
        for axis in axes.reversed() {
            let outer = values.shape[..<axis].reduce(1, *)
            let inner = values.shape[(axis + 1)...].reduce(1, *)
            var reducedShape = values.shape
            reducedShape[axis] = 1
            let reduced = Tensor.uninitialized(reducedShape)
            funnel_reduce(
                operation, values.storage.pointer, reduced.storage.pointer, outer,
                values.shape[axis], inner)
            values = reduced
        }
        if axes.isEmpty { values = copy() }
        let outputShape = keepingDimensions ? keptShape : shape.indices.filter { !axes.contains($0) }.map { shape[$0] }
        let output = Tensor(shape: outputShape, storage: values.storage)
        let outputValues = output.detached()
        return Tensor.result(output, inputs: [self]) { gradient in
            [backward(gradient, outputValues, keptShape)]
        }
    }
}
