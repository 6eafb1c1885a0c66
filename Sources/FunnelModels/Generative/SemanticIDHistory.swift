import FunnelData
import FunnelNN
import FunnelTensor

/// A batch's item histories as a semantic-ID Transformer reads them (sequential.md §4.2): each
/// item becomes its M code tokens, laid out either flat (M positions per item, digit order) or
/// as M tokens per position to be pooled. Items are left-padded (the last item ends the
/// sequence); padded items read the padding token 0.
///
/// Shapes: `tokens` `[rows, n, M]` row-major (n = history length in items); `itemMask`
/// `[rows, n]`; flat positions `[rows, n·M]`.
struct SemanticIDHistory {
    let rows: Int
    /// n: history slots (items).
    let length: Int
    /// M: tokens per item.
    let digits: Int
    /// `[rows · n · M]`: each slot's item's tokens (0 at padding).
    let tokens: [Int32]
    /// The history as items, left-padded.
    let items: SequenceInput

    /// `itemTokens` is `[(N + 1) · M]`: item i's tokens at `i·M ..< (i+1)·M` (row 0: padding).
    init(items: SequenceInput, itemTokens: [Int32], digits: Int, itemCount: Int) {
        precondition(items.padsLeft, "Funnel: semantic-ID histories are left-padded")
        var tokens = [Int32](repeating: 0, count: items.ids.count * digits)
        for (slot, id) in items.ids.enumerated() where items.mask[slot] > 0 && id >= 1 && Int(id) <= itemCount {
            let source = Int(id) * digits
            for digit in 0..<digits { tokens[slot * digits + digit] = itemTokens[source + digit] }
        }
        self.rows = items.rows
        length = items.length
        self.digits = digits
        self.tokens = tokens
        self.items = items
    }

    /// 1 at every token of a real item, `[rows · n · M]` (flat) or `[rows · n]` (pooled).
    func validPositions(flat: Bool) -> [Float] {
        flat ? items.mask.flatMap { Array(repeating: $0, count: digits) } : items.mask
    }

    /// Transformer positions per row: n·M flat, n pooled.
    func positions(flat: Bool) -> Int { flat ? length * digits : length }

    /// The flat state index (`row · positions + p`) that predicts from history slot `slot` of
    /// `row`: the slot's last token (flat) or the slot itself (pooled).
    func stateIndex(row: Int, slot: Int, flat: Bool) -> Int32 {
        flat ? Int32(row * length * digits + slot * digits + digits - 1) : Int32(row * length + slot)
    }

    /// The state index of every training step of ``SequenceInput/trainingSteps(finalTargets:)``
    /// (steps come as flat item indices `row · n + slot`).
    func stateIndices(itemPositions: [Int32], flat: Bool) -> [Int32] {
        itemPositions.map { position in
            stateIndex(row: Int(position) / length, slot: Int(position) % length, flat: flat)
        }
    }

    /// Each row's most recent item's state index (`[rows]`).
    func lastStateIndices(flat: Bool) -> [Int32] {
        (0..<rows).map { stateIndex(row: $0, slot: length - 1, flat: flat) }
    }

    /// 1 at every position (token, or pooled item) whose item is real and the same in `other`,
    /// `[rows · positions]`.
    func unchangedPositions(in other: SemanticIDHistory, flat: Bool) -> [Float] {
        let kept = zip(items.ids, other.items.ids).enumerated().map { slot, pair -> Float in
            items.mask[slot] > 0 && pair.0 == pair.1 ? 1 : 0
        }
        return flat ? kept.flatMap { Array(repeating: $0, count: digits) } : kept
    }

    /// A copy whose real items are each replaced, with probability `probability`, by an item
    /// drawn uniformly from 1 … N (all its tokens change; §4.4's perturbed input `x̃`).
    func perturbed(
        probability: Float, itemTokens: [Int32], itemCount: Int, random: inout RandomGenerator
    ) -> SemanticIDHistory {
        var ids = items.ids
        for slot in ids.indices where items.mask[slot] > 0 && random.nextUnitFloat() < probability {
            ids[slot] = Int32(1 + random.next() % UInt64(itemCount))
        }
        let input = SequenceInput(
            rows: rows, length: length, ids: ids, mask: items.mask, counts: items.counts, padsLeft: true, paddingID: items.paddingID)
        return SemanticIDHistory(items: input, itemTokens: itemTokens, digits: digits, itemCount: itemCount)
    }
}
