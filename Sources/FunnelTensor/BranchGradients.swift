/// The gradients one concurrent branch's backward pass produced for tensors outside it — its
/// parameters (dense leaves) and the rows of embedding tables — held back while the branches
/// run and then applied branch after branch (``Tensor/concurrently(_:_:)-(([[Tensor]]),_)``).
/// Branches may therefore share parameters and tables: every sum is made in branch order, on
/// one thread, whichever thread ran which branch.
final class BranchGradients: @unchecked Sendable {
    /// The branch whose backward pass is running on this thread, if any.
    @TaskLocal static var current: BranchGradients?

    private var leaves: [(leaf: Tensor, gradient: Tensor)] = []
    private var rows: [(table: Tensor, rows: [Int32], paddingID: Int32?, source: Tensor, start: Int, stride: Int)] = []

    /// Holds a leaf's gradient back (the backward engine's accumulation).
    func hold(_ gradient: Tensor, for leaf: Tensor) {
        leaves.append((leaf, gradient))
    }

    /// Holds a lookup's gradient rows back (`Tensor.appendSparseGradient`'s arguments).
    func hold(rows: [Int32], paddingID: Int32?, source: Tensor, start: Int, stride: Int, for table: Tensor) {
        self.rows.append((table, rows, paddingID, source, start, stride))
    }

    /// Adds the held gradients, in the order the branch produced them: to the leaves and tables,
    /// or to the enclosing branch's when branches are nested — except the `local` leaves (the
    /// join's own views), which always receive theirs. Each gradient is popped before it is
    /// added, so one held nowhere else is kept without a copy.
    func apply(local: Set<ObjectIdentifier>) {
        leaves.reverse()
        while var entry = leaves.popLast() {
            if let enclosing = Self.current, !local.contains(ObjectIdentifier(entry.leaf)) {
                enclosing.hold(entry.gradient, for: entry.leaf)
            } else {
                entry.leaf.accumulate(&entry.gradient)
            }
        }
        for entry in rows {
            entry.table.appendSparseGradient(
                rows: entry.rows, paddingID: entry.paddingID, from: entry.source, start: entry.start, stride: entry.stride)
        }
        rows = []
    }
}
