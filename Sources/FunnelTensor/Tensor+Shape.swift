import CFunnelKernels

// Operations that move values without computing new ones. A reshape shares memory; every other
// operation here copies once through the strided-copy kernel.

extension Tensor {
    /// The same values with another shape of the same count; one dimension may be −1 (inferred).
    /// Shares memory with this tensor.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(
                known > 0 && count % known == 0,
                "Funnel: cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        precondition(
            Tensor.count(of: resolved) == count, "Funnel: cannot reshape \(shape) to \(newShape)")
        if resolved == shape { return self }
        return Tensor.result(Tensor(shape: resolved, storage: storage), inputs: [self]) { gradient in
            [gradient.reshaped(self.shape)]
        }
    }

    /// The values repeated along dimensions of extent 1 (and new leading dimensions) to fill
    /// `target`; the backward pass sums them back.
    public func broadcasted(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(
            Broadcast.shape(shape, target) == target,
            "Funnel: shape \(shape) does not broadcast to \(target)")
        let output = stridedCopy(shape: target, strides: Broadcast.strides(of: shape, in: target))
        return Tensor.result(output, inputs: [self]) { gradient in
            [gradient.sum(toShape: self.shape)]
        }
    }

    /// The axes reordered: output axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(
            axes.count == rank && Set(axes.map { normalizedAxis($0) }).count == rank,
            "Funnel: \(axes) is not a permutation of the axes of shape \(shape)")
        let axes = axes.map { normalizedAxis($0) }
        let strides = Broadcast.contiguousStrides(shape)
        let output = stridedCopy(shape: axes.map { shape[$0] }, strides: axes.map { strides[$0] })
        var inverse = Array(repeating: 0, count: rank)
        for (position, axis) in axes.enumerated() { inverse[axis] = position }
        return Tensor.result(output, inputs: [self]) { gradient in [gradient.permuted(inverse)] }
    }

    /// Swaps two axes (by default the last two).
    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
        precondition(rank >= 2, "Funnel: transpose of a tensor of shape \(shape)")
        var axes = Array(0..<rank)
        axes.swapAt(normalizedAxis(first), normalizedAxis(second))
        return permuted(axes)
    }

    /// The elements `range` along `axis`.
    public func sliced(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = normalizedAxis(axis)
        precondition(
            range.lowerBound >= 0 && range.upperBound <= shape[axis],
            "Funnel: slice \(range) out of bounds for axis \(axis) of shape \(shape)")
        var outputShape = shape
        outputShape[axis] = range.count
        let strides = Broadcast.contiguousStrides(shape)
        let output = stridedCopy(
            shape: outputShape, strides: strides, offset: range.lowerBound * strides[axis])
        return Tensor.result(output, inputs: [self]) { gradient in
            let padded = Tensor.zeros(self.shape)
            padded.copyBlocks(from: gradient, alongAxis: axis, at: range.lowerBound)
            return [padded]
        }
    }

    /// Joins tensors along `axis`; their other dimensions must agree.
    public static func concatenated(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "Funnel: concatenation of no tensors")
        let axis = tensors[0].normalizedAxis(axis)
        var outputShape = tensors[0].shape
        outputShape[axis] = 0
        for tensor in tensors {
            var expected = outputShape
            expected[axis] = tensor.shape[axis]
            precondition(
                tensor.shape == expected,
                "Funnel: cannot concatenate shapes \(tensors.map(\.shape)) along axis \(axis)")
            outputShape[axis] += tensor.shape[axis]
        }
        let output = Tensor.uninitialized(outputShape)
        var starts: [Int] = []
        var position = 0
        for tensor in tensors {
            starts.append(position)
            output.copyBlocks(from: tensor, alongAxis: axis, at: position)
            position += tensor.shape[axis]
        }
        return result(output, inputs: tensors) { gradient in
            zip(tensors, starts).map { tensor, start in
                tensor.requiresGradient
                    ? gradient.sliced(alongAxis: axis, start..<start + tensor.shape[axis]) : nil
            }
        }
    }

    /// Splits along `axis` into pieces of the given sizes (which must add up to the extent).
    public func split(sizes: [Int], alongAxis axis: Int) -> [Tensor] {
        let axis = normalizedAxis(axis)
        precondition(
            sizes.reduce(0, +) == shape[axis] && sizes.allSatisfy { $0 >= 0 },
            "Funnel: sizes \(sizes) do not split axis \(axis) of shape \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(alongAxis: axis, start..<start + size)
        }
    }

    /// A contiguous copy of the strided view (`strides` in elements, 0 repeats a value).
    func stridedCopy(shape target: [Int], strides: [Int], offset: Int = 0) -> Tensor {
        let output = Tensor.uninitialized(target)
        if output.count == 0 { return output }
        precondition(target.count <= 8, "Funnel: tensors of rank above 8 are not supported")
        if target.isEmpty {
            output.storage.pointer[0] = storage.pointer[offset]
            return output
        }
        funnel_strided_copy(
            storage.pointer + offset, output.storage.pointer, Int32(target.count), target, strides)
        return output
    }

    /// Writes `source` into this tensor at `start` along `axis`: every outer block of
    /// `source.shape[axis] × inner` values lands contiguously.
    func copyBlocks(from source: Tensor, alongAxis axis: Int, at start: Int) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let block = source.shape[axis] * inner
        let stride = shape[axis] * inner
        for index in 0..<outer {
            (storage.pointer + index * stride + start * inner)
                .update(from: source.storage.pointer + index * block, count: block)
        }
    }
}
