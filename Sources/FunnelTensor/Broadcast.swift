import CFunnelKernels

/// NumPy broadcasting: shapes are aligned from the right and a dimension of 1 stretches.
enum Broadcast {
    /// The shape both operands broadcast to.
    static func shape(_ first: [Int], _ second: [Int]) -> [Int] {
        let rank = max(first.count, second.count)
        let first = Array(repeating: 1, count: rank - first.count) + first
        let second = Array(repeating: 1, count: rank - second.count) + second
        return zip(first, second).map { left, right in
            precondition(
                left == right || left == 1 || right == 1,
                "Funnel: shapes \(first) and \(second) do not broadcast")
            return left == 1 ? right : left
        }
    }

    /// The element strides of a contiguous tensor of `shape` read as `target` (0 where a
    /// dimension is stretched or missing).
    static func strides(of shape: [Int], in target: [Int]) -> [Int] {
        let padded = Array(repeating: 1, count: target.count - shape.count) + shape
        var strides = Array(repeating: 0, count: target.count)
        var step = 1
        for axis in stride(from: target.count - 1, through: 0, by: -1) {
            strides[axis] = padded[axis] == 1 && target[axis] != 1 ? 0 : step
            step *= padded[axis]
        }
        return strides
    }

    /// Contiguous row-major strides.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = Array(repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// Applies a binary kernel to two tensors broadcast against each other.
    static func binary(_ operation: funnel_binary_op, _ first: Tensor, _ second: Tensor) -> Tensor {
        let target = shape(first.shape, second.shape)
        let result = Tensor.uninitialized(target)
        if result.count == 0 { return result }
        let firstStrides = strides(of: first.shape, in: target)
        let secondStrides = strides(of: second.shape, in: target)
        // Collapse: drop unit dimensions, merge neighbours contiguous in both operands.
        var dimensions: [(size: Int, first: Int, second: Int)] = []
        for axis in target.indices where target[axis] != 1 {
            let next = (size: target[axis], first: firstStrides[axis], second: secondStrides[axis])
            if let last = dimensions.last, last.first == next.first * next.size,
                last.second == next.second * next.size
            {
                dimensions[dimensions.count - 1] = (last.size * next.size, next.first, next.second)
            } else {
                dimensions.append(next)
            }
        }
        let inner = dimensions.popLast() ?? (size: 1, first: 0, second: 0)
        let rows = dimensions.popLast() ?? (size: 1, first: 0, second: 0)
        let slab = rows.size * inner.size
        let slabs = dimensions.reduce(1) { $0 * $1.size }
        var index = Array(repeating: 0, count: dimensions.count)
        var firstOffset = 0
        var secondOffset = 0
        for slabIndex in 0..<slabs {
            funnel_binary(
                operation, first.storage.pointer + firstOffset, rows.first, inner.first,
                second.storage.pointer + secondOffset, rows.second, inner.second,
                result.storage.pointer + slabIndex * slab, rows.size, inner.size)
            for axis in stride(from: dimensions.count - 1, through: 0, by: -1) {
                index[axis] += 1
                firstOffset += dimensions[axis].first
                secondOffset += dimensions[axis].second
                if index[axis] < dimensions[axis].size { break }
                firstOffset -= index[axis] * dimensions[axis].first
                secondOffset -= index[axis] * dimensions[axis].second
                index[axis] = 0
            }
        }
        return result
    }
}
