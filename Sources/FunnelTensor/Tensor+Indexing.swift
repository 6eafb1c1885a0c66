import CFunnelKernels

// Selection by integer indices. Indices are `Int32` (the type batches carry) and every one is
// bounds-checked with a message naming the index, the axis and the shape.

extension Tensor {
    /// Rows picked along `axis`: the output has `indices.count` in place of `shape[axis]`, and
    /// output slice j along the axis is input slice `indices[j]`. Repeated indices are allowed;
    /// their gradients add up.
    public func indexSelect(_ indices: [Int32], alongAxis axis: Int = 0) -> Tensor {
        let axis = normalizedAxis(axis)
        let extent = shape[axis]
        for index in indices { checkIndex(index, extent: extent, axis: axis) }
        // Every slice in order (a batch of full-length sequences picking all its positions):
        // the tensor itself, without a copy forward or a scatter backward.
        if indices.count == extent && indices.indices.allSatisfy({ indices[$0] == Int32($0) }) { return self }
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var outputShape = shape
        outputShape[axis] = indices.count
        let output = Tensor.uninitialized(outputShape)
        for block in 0..<outer {
            let source = storage.pointer + block * extent * inner
            let target = output.storage.pointer + block * indices.count * inner
            for (position, index) in indices.enumerated() {
                (target + position * inner).update(from: source + Int(index) * inner, count: inner)
            }
        }
        return Tensor.result(output, inputs: [self]) { gradient in
            let input = Tensor.zeros(self.shape)
            for block in 0..<outer {
                let source = gradient.storage.pointer + block * indices.count * inner
                let target = input.storage.pointer + block * extent * inner
                for (position, index) in indices.enumerated() {
                    funnel_axpy(inner, 1, source + position * inner, target + Int(index) * inner)
                }
            }
            return [input]
        }
    }

    /// Element-wise selection along `axis` (PyTorch's `gather`): for every position p of the
    /// index array (shape `indexShape`, same rank as this tensor, no larger on other axes),
    /// output[p] = self[p with its `axis` coordinate replaced by indices[p]].
    public func gathered(alongAxis axis: Int, indices: [Int32], indexShape: [Int]) -> Tensor {
        let axis = normalizedAxis(axis)
        let offsets = gatherOffsets(axis: axis, indices: indices, indexShape: indexShape)
        let output = Tensor.uninitialized(indexShape)
        for (position, offset) in offsets.enumerated() {
            output.storage.pointer[position] = storage.pointer[offset]
        }
        return Tensor.result(output, inputs: [self]) { gradient in
            [Tensor.zeros(self.shape).scatteringAdd(
                alongAxis: axis, indices: indices, indexShape: indexShape, source: gradient)]
        }
    }

    /// A copy of this tensor with `source` added at the gathered positions (PyTorch's
    /// `scatter_add`): self[p with axis coordinate indices[p]] += source[p] for every position p
    /// of `indexShape`, which is also the shape of `source`.
    public func scatteringAdd(
        alongAxis axis: Int, indices: [Int32], indexShape: [Int], source: Tensor
    ) -> Tensor {
        let axis = normalizedAxis(axis)
        precondition(
            source.shape == indexShape,
            "Funnel: scatter source of shape \(source.shape) for indices of shape \(indexShape)")
        let offsets = gatherOffsets(axis: axis, indices: indices, indexShape: indexShape)
        let output = copy()
        for (position, offset) in offsets.enumerated() {
            output.storage.pointer[offset] += source.storage.pointer[position]
        }
        return Tensor.result(output, inputs: [self, source]) { gradient in
            [
                gradient,
                source.requiresGradient
                    ? gradient.gathered(alongAxis: axis, indices: indices, indexShape: indexShape)
                    : nil,
            ]
        }
    }

    /// One row per index with a 1 in the index's column: shape `[indices.count, classes]`.
    public static func oneHot(_ indices: [Int32], classes: Int) -> Tensor {
        let output = Tensor.zeros([indices.count, classes])
        for (row, index) in indices.enumerated() {
            precondition(
                index >= 0 && Int(index) < classes,
                "Funnel: one-hot index \(index) at position \(row) outside 0..<\(classes)")
            output.storage.pointer[row * classes + Int(index)] = 1
        }
        return output
    }

    private func checkIndex(_ index: Int32, extent: Int, axis: Int) {
        precondition(
            index >= 0 && Int(index) < extent,
            "Funnel: index \(index) out of range 0..<\(extent) for axis \(axis) of shape \(shape)")
    }

    /// The storage offset in this tensor of every position of the index array.
    private func gatherOffsets(axis: Int, indices: [Int32], indexShape: [Int]) -> [Int] {
        precondition(
            indexShape.count == rank && Tensor.count(of: indexShape) == indices.count,
            "Funnel: \(indices.count) indices of shape \(indexShape) for a tensor of shape \(shape)")
        for dimension in 0..<rank where dimension != axis {
            precondition(
                indexShape[dimension] <= shape[dimension],
                "Funnel: index shape \(indexShape) exceeds shape \(shape) on axis \(dimension)")
        }
        let strides = Broadcast.contiguousStrides(shape)
        var coordinate = Array(repeating: 0, count: rank)
        var offsets: [Int] = []
        offsets.reserveCapacity(indices.count)
        for index in indices {
            checkIndex(index, extent: shape[axis], axis: axis)
            var offset = Int(index) * strides[axis]
            for dimension in 0..<rank where dimension != axis {
                offset += coordinate[dimension] * strides[dimension]
            }
            offsets.append(offset)
            for dimension in stride(from: rank - 1, through: 0, by: -1) {
                coordinate[dimension] += 1
                if coordinate[dimension] < indexShape[dimension] { break }
                coordinate[dimension] = 0
            }
        }
        return offsets
    }
}
