import CFunnelKernels

extension Tensor {
    /// Mean sampled-softmax cross-entropy of each position's positive against negatives shared
    /// by the batch, as one primitive: row `r`'s logits are `[h_r · p_r, h_r · n_1 − shift, …,
    /// h_r · n_k − shift]` and its loss is `−log softmax(logits)[0]`. One GEMM writes the
    /// negatives' logits into a `[rows, 1 + k]` buffer, one pass per row adds the positive's
    /// dot, the log-sum-exp and the gradient `(softmax − onehot) / rows` in place
    /// (`funnel_sampled_softmax_cross_entropy`); the backward pass is two GEMMs and a row-scaled
    /// sum. Unfused, the same takes a product and a row sum for the positives, a correction
    /// pass, a concatenation, a log-softmax and a gather, each with its backward pass
    /// (sequential.md §1.3, SASRec's sampled softmax with a shared uniform sample).
    ///
    /// Equal to ``softmaxCrossEntropy``-style composition of those steps up to rounding.
    ///
    /// Shapes: `hidden` `[rows, d]`, `positives` `[rows, d]` (each row's positive item),
    /// `negatives` `[k, d]` → a scalar.
    /// - Parameters:
    ///   - shift: subtracted from every negative logit (logQ correction, `log(k / N)` for a
    ///     uniform sample of `k` of `N` items; 0 without).
    ///   - excluded: `(row, negative)` pairs left out of their row's softmax (a negative that is
    ///     the row's own positive, an accidental hit).
    public static func sampledSoftmaxCrossEntropy(
        hidden: Tensor, positives: Tensor, negatives: Tensor, shift: Float = 0,
        excluded: [(row: Int, negative: Int)] = []
    ) -> Tensor {
        let (rows, width, count) = (hidden.shape.first ?? 0, hidden.shape.last ?? 0, negatives.shape.first ?? 0)
        precondition(
            hidden.rank == 2 && positives.shape == hidden.shape && negatives.rank == 2 && negatives.shape[1] == width,
            "Funnel: sampled softmax of hidden \(hidden.shape), positives \(positives.shape), negatives \(negatives.shape)")
        let columns = count + 1
        let scores = Tensor.uninitialized([rows, columns])
        funnel_sgemm(
            0, 1, rows, count, width, 1, hidden.storage.pointer, width, negatives.storage.pointer, width, 0,
            scores.storage.pointer + 1, columns)
        for (row, negative) in excluded {
            precondition(row >= 0 && row < rows && negative >= 0 && negative < count, "Funnel: excluded (\(row), \(negative)) outside \([rows, count])")
            scores.storage.pointer[row * columns + 1 + negative] = -.infinity
        }
        var losses = [Float](repeating: 0, count: rows)
        let scale = 1 / Float(Swift.max(rows, 1))
        losses.withUnsafeMutableBufferPointer { lossPointer in
            funnel_sampled_softmax_cross_entropy(
                hidden.storage.pointer, positives.storage.pointer, width, scores.storage.pointer, rows, columns, shift, scale,
                lossPointer.baseAddress)
        }
        var total: Float = 0
        for loss in losses { total += loss }
        // `scores` now holds the gradient of the mean with respect to the logits.
        return result(Tensor(total * scale), inputs: [hidden, positives, negatives]) { gradient in
            let factor = gradient.scalar
            let logits = scores.storage.pointer
            var hiddenGradient: Tensor?
            if hidden.requiresGradient {
                let values = Tensor.uninitialized([rows, width])
                funnel_sgemm(
                    0, 0, rows, width, count, factor, logits + 1, columns, negatives.storage.pointer, width, 0,
                    values.storage.pointer, width)
                funnel_scaled_rows(positives.storage.pointer, logits, columns, factor, values.storage.pointer, rows, width, 1)
                hiddenGradient = values
            }
            var positiveGradient: Tensor?
            if positives.requiresGradient {
                let values = Tensor.uninitialized([rows, width])
                funnel_scaled_rows(hidden.storage.pointer, logits, columns, factor, values.storage.pointer, rows, width, 0)
                positiveGradient = values
            }
            var negativeGradient: Tensor?
            if negatives.requiresGradient {
                let values = Tensor.uninitialized([count, width])
                funnel_sgemm(
                    1, 0, count, width, rows, factor, logits + 1, columns, hidden.storage.pointer, width, 0,
                    values.storage.pointer, width)
                negativeGradient = values
            }
            return [hiddenGradient, positiveGradient, negativeGradient]
        }
    }
}
