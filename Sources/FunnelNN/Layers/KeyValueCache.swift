import FunnelTensor

/// The keys and values one attention layer has projected so far, for incremental decoding
/// (inference only: the tensors carry no gradient).
///
/// Shapes: `keys` `[batch, length, keyWidth]` and `values` `[batch, length, valueWidth]`, in
/// the layout the layer's projections write (heads side by side in the last axis); both `nil`
/// before the first step. For ``FocusedAttention`` `keyWidth` is `2·heads·headWidth` and
/// `valueWidth` `heads·2·headWidth` (sequential.md §4.3).
public struct KeyValueCache {
    public private(set) var keys: Tensor?
    public private(set) var values: Tensor?

    public init() {}

    /// How many positions the cache holds.
    public var length: Int { keys?.shape[1] ?? 0 }

    /// How many sequences (batch rows) the cache holds; `nil` when empty.
    public var batch: Int? { keys?.shape[0] }

    /// Appends the new positions' keys `[batch, new, keyWidth]` and values
    /// `[batch, new, valueWidth]` after the cached ones.
    public mutating func append(keys newKeys: Tensor, values newValues: Tensor) {
        precondition(
            newKeys.rank == 3 && newValues.rank == 3
                && newKeys.shape[0...1] == newValues.shape[0...1],
            "Funnel: cache keys \(newKeys.shape) and values \(newValues.shape) disagree")
        withoutGradients {
            guard let keys, let values else {
                (self.keys, self.values) = (newKeys.detached(), newValues.detached())
                return
            }
            precondition(
                keys.shape[0] == newKeys.shape[0] && keys.shape[2] == newKeys.shape[2]
                    && values.shape[2] == newValues.shape[2],
                "Funnel: appending keys \(newKeys.shape) and values \(newValues.shape) to a cache of \(keys.shape), \(values.shape)"
            )
            self.keys = Tensor.concatenated([keys, newKeys.detached()], alongAxis: 1)
            self.values = Tensor.concatenated([values, newValues.detached()], alongAxis: 1)
        }
    }

    /// Keeps batch rows `rows` in that order, repeating or dropping rows (beam search: expand a
    /// prompt's cache to its beams, then reorder them after each step).
    public mutating func selectRows(_ rows: [Int32]) {
        guard let keys, let values else { return }
        precondition(
            rows.allSatisfy { $0 >= 0 && Int($0) < keys.shape[0] },
            "Funnel: cache rows \(rows) outside 0..<\(keys.shape[0])")
        withoutGradients {
            self.keys = keys.indexSelect(rows, alongAxis: 0)
            self.values = values.indexSelect(rows, alongAxis: 0)
        }
    }

    /// The additive mask `[new, length + new]` of `new` positions appended after `length`
    /// cached ones: each sees every cached position and the new ones up to itself.
    public static func causalMask(new: Int, cached length: Int) -> Tensor {
        let total = length + new
        let values = (0..<(new * total)).map { index -> Float in
            index % total > length + index / total ? MultiHeadAttention.blocked : 0
        }
        return Tensor(shape: [new, total], scalars: values)
    }
}
