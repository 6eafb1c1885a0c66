import CFunnelKernels

extension Tensor {
    /// Mean softmax cross-entropy of the scores `hidden · table[classes]ᵀ` against `labels`, as
    /// one primitive that never holds the whole `[V, classes]` score matrix: each thread takes a
    /// share of the rows of `hidden` and walks it in chunks of `chunkRows`, each chunk's scores
    /// computed by one GEMM, turned in place into their log-sum-exp and the gradient
    /// `(softmax − onehot) / V`, and multiplied back into `dhidden = dZ·E` and `dtable += dZᵀ·H`
    /// while they are in cache (`funnel_table_softmax_cross_entropy`; the threads' table
    /// gradients are summed in a fixed order). The gradients
    /// are formed in the forward pass (the scores are not kept) and scaled by the output's
    /// gradient in the backward pass; without gradients only the loss is computed.
    ///
    /// Equal to `logits = matmul(hidden, table.sliced(classes), transposeRight: true)` followed
    /// by the mean of `−logSoftmax(logits)[label]`, up to rounding; a full-catalogue softmax of
    /// a sequential recommender (V = 12,800 positions, 10,000 items) would otherwise write and
    /// read a 512 MB score matrix several times per step.
    ///
    /// Shapes: `hidden` `[V, d]`, `table` `[R, d]`, `classes` ⊂ `0 ..< R` (class c is table row
    /// `classes.lowerBound + c`), `labels` `[V]` in `0 ..< classes.count` → a scalar. The table's
    /// gradient is dense `[R, d]`, zero outside `classes`.
    public static func tableSoftmaxCrossEntropy(
        hidden: Tensor, table: Tensor, classes: Range<Int>, labels: [Int32], chunkRows: Int = 128
    ) -> Tensor {
        let (positions, width) = (hidden.shape.first ?? 0, hidden.shape.last ?? 0)
        precondition(
            hidden.rank == 2 && table.rank == 2 && table.shape[1] == width && classes.lowerBound >= 0
                && classes.upperBound <= table.shape[0] && labels.count == positions && chunkRows > 0,
            "Funnel: table softmax of hidden \(hidden.shape), table \(table.shape), classes \(classes), \(labels.count) labels")
        let classCount = classes.count
        if let position = labels.firstIndex(where: { $0 < 0 || Int($0) >= classCount }) {
            preconditionFailure("Funnel: label \(labels[position]) at position \(position) outside \(classCount) classes")
        }
        let needsGradient = GradientMode.isEnabled && (hidden.requiresGradient || table.requiresGradient)
        let hiddenGradient = Tensor.uninitialized(needsGradient ? hidden.shape : [0])
        let tableGradient = needsGradient ? Tensor.zeros(table.shape) : Tensor.uninitialized([0])
        var losses = [Float](repeating: 0, count: positions)
        let scale = 1 / Float(Swift.max(positions, 1))
        labels.withUnsafeBufferPointer { labelPointer in
            losses.withUnsafeMutableBufferPointer { lossPointer in
                funnel_table_softmax_cross_entropy(
                    hidden.storage.pointer, positions, width, table.storage.pointer + classes.lowerBound * width, classCount,
                    labelPointer.baseAddress, scale, chunkRows, lossPointer.baseAddress,
                    needsGradient ? hiddenGradient.storage.pointer : nil,
                    needsGradient ? tableGradient.storage.pointer + classes.lowerBound * width : nil)
            }
        }
        var total: Float = 0
        for loss in losses { total += loss }
        let output = Tensor(total * scale)
        return result(output, inputs: [hidden, table]) { gradient in
            let factor = gradient.scalar
            guard factor != 1 else { return [hiddenGradient, tableGradient] }
            return [hiddenGradient * factor, tableGradient * factor]
        }
    }
}
