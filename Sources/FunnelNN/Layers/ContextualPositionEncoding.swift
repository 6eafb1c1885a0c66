import Foundation
import FunnelTensor

/// Contextual-Aware Position Encoding, CAPE (sequential.md §3; official code
/// `position_encoding.py::CAPE`): the position of a key relative to the query is the soft count
/// of keys from it to the end of the sequence that are *dissimilar* to the query, so behaviours
/// similar to the target stay close however far back they lie.
///
/// For one head, with queries `q_i ∈ R^C` and pre-softmax logits `a_ij` (§3.1):
/// ```
/// g_ij = 1 − σ(a_ij)                                  dissimilarity gate (CoPE's flipped)
/// p_ij = min(Σ_{k ≥ j} g_ik, P_max − 1)              suffix sum over keys, clamped
/// z_i  = SiLU(W q_i + b) · Pemb                       [P_max]; Pemb is [C', P_max]
/// E_ij = f · z_i[⌈p_ij⌉] + (1 − f) · z_i[⌊p_ij⌋],     f = p_ij − ⌊p_ij⌋
/// ```
/// and the attention adds `E` to its logits before the softmax
/// (``attention(queries:keys:values:heads:mask:dropout:)``).
///
/// Masked keys: the reference computes the gate on logits that already hold the mask, so a
/// blocked key has `g = 1` and adds 1 to every position before it (§3.4). By default blocked
/// keys get `g = 0`; `legacyMaskedGate` keeps the gate as the logits give it, as the reference.
///
/// `table` (`Pemb`) starts at zero, so at initialisation `E = 0` exactly and an attention with
/// CAPE computes what it computes without.
public final class ContextualPositionEncoding: Module {
    /// The query projection `W: C → C'` with bias (`pre_proj`), followed by SiLU.
    public let projection: Linear
    /// `Pemb`, `[C', P_max]`, initialised to zeros.
    public let table: Tensor
    /// `P_max`: positions beyond `P_max − 1` are clamped.
    public let maximumPositions: Int
    /// Whether blocked keys keep the gate their logits give (the reference's behaviour).
    public let legacyMaskedGate: Bool

    /// - Parameters:
    ///   - headWidth: `C`, the width of one head's queries (CAPE is per head: §3.4).
    ///   - positionDimensions: `C'`, the width of the projected query (16, 32 or 64 in §3.2).
    ///   - maximumPositions: `P_max`, the number of table columns (the maximum sequence length).
    ///   - legacyMaskedGate: keep the gates of blocked keys (see the type's documentation).
    ///   - generator: draws the projection (PyTorch's `nn.Linear` scheme).
    public init(
        headWidth: Int, positionDimensions: Int, maximumPositions: Int,
        legacyMaskedGate: Bool = false,
        generator: inout RandomGenerator
    ) {
        precondition(
            headWidth > 0 && positionDimensions > 0 && maximumPositions > 0,
            "Funnel: CAPE needs positive widths and positions, got C = \(headWidth), C' = \(positionDimensions), P_max = \(maximumPositions)"
        )
        projection = Linear(headWidth, positionDimensions, generator: &generator)
        table = Tensor.zeros([positionDimensions, maximumPositions], requiresGradient: true)
        self.maximumPositions = maximumPositions
        self.legacyMaskedGate = legacyMaskedGate
        super.init()
    }

    /// `C`.
    public var headWidth: Int { projection.inputDimensions }

    /// The dissimilarity gates `g = 1 − σ(a)`, 0 at blocked keys unless ``legacyMaskedGate``.
    /// - Parameters:
    ///   - logits: `[B, H, Lq, Lk]` pre-softmax logits (the additive mask included).
    ///   - open: broadcastable to the logits, 1 where a key is allowed and 0 where blocked, or
    ///     `nil` when every key is allowed.
    /// - Returns: `[B, H, Lq, Lk]`.
    public func gates(logits: Tensor, open: Tensor?) -> Tensor {
        let gates = 1 - logits.sigmoid()
        guard let open, !legacyMaskedGate else { return gates }
        return gates * open
    }

    /// The contextual positions `p_ij = min(Σ_{k ≥ j} g_ik, P_max − 1)`, `[B, H, Lq, Lk]` (the
    /// arguments as ``gates(logits:open:)``).
    public func positions(logits: Tensor, open: Tensor?) -> Tensor {
        let gates = gates(logits: logits, open: open)
        let keys = logits.shape[logits.rank - 1]
        // Suffix sums as one product with the constant upper-triangular ones: U[k][j] = [k ≥ j].
        var ones = [Float](repeating: 0, count: keys * keys)
        for key in 0..<keys {
            for position in 0...key { ones[key * keys + position] = 1 }
        }
        let suffixSums = Tensor.matmul(gates, Tensor(shape: [keys, keys], scalars: ones))
        return suffixSums.clamped(max: Float(maximumPositions - 1))
    }

    /// The position logits `E` to add to the attention logits.
    ///
    /// Gradients reach the queries (through `z` and through the gates), the logits, the
    /// projection and the table; the rounded positions `⌊p⌋`, `⌈p⌉` are constants.
    /// - Parameters:
    ///   - queries: `[B, H, Lq, C]`.
    ///   - logits: `[B, H, Lq, Lk]` pre-softmax logits, the additive mask included.
    ///   - open: broadcastable 0/1, 1 where a key is allowed; `nil` when all are.
    /// - Returns: `E`, `[B, H, Lq, Lk]`.
    public func positionLogits(queries: Tensor, logits: Tensor, open: Tensor?) -> Tensor {
        precondition(
            queries.rank == 4 && logits.rank == 4
                && Array(queries.shape.prefix(3)) == Array(logits.shape.prefix(3))
                && queries.shape[3] == headWidth,
            "Funnel: CAPE of queries \(queries.shape) and logits \(logits.shape), head width \(headWidth)"
        )
        let positions = positions(logits: logits, open: open)
        let projected = projection(queries)
        let perPosition = Tensor.matmul(projected * projected.sigmoid(), table)
        // A NaN logit gives a NaN position: read column 0 rather than trap on the conversion.
        let values = positions.scalars.map { $0.isNaN ? 0 : $0 }
        let floors = values.map { $0.rounded(.down) }
        let lower = floors.map { Int32($0) }
        let upper = values.map { Int32($0.rounded(.up)) }
        let fraction = positions - Tensor(shape: positions.shape, scalars: floors)
        let above = perPosition.gathered(alongAxis: 3, indices: upper, indexShape: positions.shape)
        let below = perPosition.gathered(alongAxis: 3, indices: lower, indexShape: positions.shape)
        return fraction * above + (1 - fraction) * below
    }
}
