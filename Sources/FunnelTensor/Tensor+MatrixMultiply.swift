import CFunnelKernels

extension Tensor {
    /// Matrix product `op(left) · op(right)`, where op transposes the last two axes when asked —
    /// without materialising the transpose (the GEMM kernel reads the operand transposed).
    ///
    /// Shapes (with `transposeLeft` and `transposeRight` false): `[M, K] · [K, N] → [M, N]`;
    /// batched `[..., M, K] · [..., K, N] → [..., M, N]` with equal leading dimensions; a
    /// rank-2 operand is shared by every matrix of a batched one (its gradient is summed).
    public static func matmul(
        _ left: Tensor, _ right: Tensor, transposeLeft: Bool = false, transposeRight: Bool = false
    ) -> Tensor {
        precondition(
            left.rank >= 2 && right.rank >= 2,
            "Funnel: matmul needs matrices, got shapes \(left.shape) and \(right.shape)")
        if left.rank == 2 && right.rank == 2 {
            let product = batchedProduct(
                left.reshaped([1] + left.shape), right.reshaped([1] + right.shape),
                transposeLeft, transposeRight)
            return product.reshaped(Array(product.shape.dropFirst()))
        }
        if right.rank == 2 && !transposeLeft {
            // [..., M, K] · [K, N]: one large GEMM over all rows.
            let rows = left.reshaped([-1, left.shape[left.rank - 1]])
            let product = matmul(rows, right, transposeRight: transposeRight)
            return product.reshaped(Array(left.shape.dropLast()) + [product.shape[1]])
        }
        let leading = left.rank >= right.rank ? Array(left.shape.dropLast(2)) : Array(right.shape.dropLast(2))
        let left = left.rank == 2 ? left.broadcasted(to: leading + left.shape) : left
        let right = right.rank == 2 ? right.broadcasted(to: leading + right.shape) : right
        precondition(
            Array(left.shape.dropLast(2)) == Array(right.shape.dropLast(2)),
            "Funnel: batched matmul of shapes \(left.shape) and \(right.shape)")
        let left3 = left.reshaped([-1] + left.shape.suffix(2))
        let right3 = right.reshaped([-1] + right.shape.suffix(2))
        let product = batchedProduct(left3, right3, transposeLeft, transposeRight)
        return product.reshaped(leading + product.shape.suffix(2))
    }

    /// The primitive: `[B, ·, ·] × [B, ·, ·] → [B, M, N]` with its backward.
    private static func batchedProduct(
        _ left: Tensor, _ right: Tensor, _ transposeLeft: Bool, _ transposeRight: Bool
    ) -> Tensor {
        let batch = left.shape[0]
        let (rows, inner) = transposeLeft ? (left.shape[2], left.shape[1]) : (left.shape[1], left.shape[2])
        let (rightInner, columns) =
            transposeRight ? (right.shape[2], right.shape[1]) : (right.shape[1], right.shape[2])
        precondition(
            right.shape[0] == batch && rightInner == inner,
            "Funnel: matmul of shapes \(left.shape)\(transposeLeft ? "ᵀ" : "") and \(right.shape)\(transposeRight ? "ᵀ" : "")")
        let output = Tensor.uninitialized([batch, rows, columns])
        funnel_sgemm_batched(
            transposeLeft ? 1 : 0, transposeRight ? 1 : 0, batch, rows, columns, inner, 1,
            left.storage.pointer, left.shape[2], left.shape[1] * left.shape[2],
            right.storage.pointer, right.shape[2], right.shape[1] * right.shape[2],
            0, output.storage.pointer, columns, rows * columns)
        return result(output, inputs: [left, right]) { gradient in
            let needsLeft = left.requiresGradient
            let needsRight = right.requiresGradient
            switch (transposeLeft, transposeRight) {
            case (false, false):
                return [
                    needsLeft ? batchedProduct(gradient, right, false, true) : nil,
                    needsRight ? batchedProduct(left, gradient, true, false) : nil,
                ]
            case (false, true):
                return [
                    needsLeft ? batchedProduct(gradient, right, false, false) : nil,
                    needsRight ? batchedProduct(gradient, left, true, false) : nil,
                ]
            case (true, false):
                return [
                    needsLeft ? batchedProduct(right, gradient, false, true) : nil,
                    needsRight ? batchedProduct(left, gradient, false, false) : nil,
                ]
            case (true, true):
                return [
                    needsLeft ? batchedProduct(right, gradient, true, true) : nil,
                    needsRight ? batchedProduct(gradient, left, true, true) : nil,
                ]
            }
        }
    }
}
