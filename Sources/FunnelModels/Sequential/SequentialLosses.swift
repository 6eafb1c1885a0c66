#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FunnelNN
import FunnelTensor

/// The next-item losses of sequential models (sequential.md §1.1–§1.2), over the states of the
/// positions that have a next item.
///
/// Shapes: `hidden` `[V, d]` (V training positions), `targets` `[V]` item ids in 1 ... N, the
/// item table `[N + 2, d]` (row 0 unused, padding last) → a scalar loss.
public struct SequentialLosses {
    public let table: Tensor
    public let itemCount: Int
    public let sampler: SequenceNegativeSampler

    public init(table: Tensor, itemCount: Int, sampler: SequenceNegativeSampler) {
        self.table = table
        self.itemCount = itemCount
        self.sampler = sampler
    }

    /// `−Σ_t [log σ(y_t,pos) + log(1 − σ(y_t,neg))] / V`, one negative per position drawn
    /// outside `excluded[t]` (§1.1; 2 ln 2 when every score is 0).
    public func binaryCrossEntropy(hidden: Tensor, targets: [Int32], excluded: [Set<Int32>]) -> Tensor {
        let negatives = sampler.draw(excluding: excluded)
        let positive = (hidden * table.embeddingLookup(targets)).sum(alongAxes: [1])
        let negative = (hidden * table.embeddingLookup(negatives)).sum(alongAxes: [1])
        let count = Float(Swift.max(targets.count, 1))
        let ones = Tensor(Array(repeating: 1, count: targets.count))
        let zeros = Tensor(Array(repeating: 0, count: targets.count))
        return (Losses.binaryCrossEntropy(logits: positive, labels: ones, reduction: .sum)
            + Losses.binaryCrossEntropy(logits: negative, labels: zeros, reduction: .sum)) / count
    }

    /// Softmax over each position's next item and `negatives` items drawn uniformly for the
    /// whole batch; a drawn item equal to the position's target is left out (an accidental
    /// hit). With `logQCorrection` each negative's logit loses log(k/N), the log of its
    /// expected count among the draws, so the k draws stand in for the N items of a full
    /// softmax.
    public func sampledSoftmax(hidden: Tensor, targets: [Int32], negatives count: Int, logQCorrection: Bool) -> Tensor {
        let negatives = sampler.draw(count)
        let shift: Float = logQCorrection ? Float(log(Double(count) / Double(itemCount))) : 0
        // Accidental hits, found through an item-indexed table (a hash per position would cost
        // more than the loss's arithmetic).
        var drawn = [Bool](repeating: false, count: table.shape[0])
        for negative in negatives { drawn[Int(negative)] = true }
        var excluded: [(row: Int, negative: Int)] = []
        for (row, target) in targets.enumerated() where drawn[Int(target)] {
            for (column, negative) in negatives.enumerated() where negative == target { excluded.append((row, column)) }
        }
        return Tensor.sampledSoftmaxCrossEntropy(
            hidden: hidden, positives: table.embeddingLookup(targets), negatives: table.embeddingLookup(negatives),
            shift: shift, excluded: excluded)
    }

    /// Softmax cross-entropy over every item 1 ... N (RecBole's `CE`, without the padding row),
    /// fused and chunked (``FunnelTensor/Tensor/tableSoftmaxCrossEntropy(hidden:table:classes:labels:chunkRows:)``):
    /// the `[V, N]` scores are never held whole.
    public func fullSoftmax(hidden: Tensor, targets: [Int32]) -> Tensor {
        Tensor.tableSoftmaxCrossEntropy(hidden: hidden, table: table, classes: 1..<(itemCount + 1), labels: targets.map { $0 - 1 })
    }
}
