import Foundation
import FunnelTensor

/// Rotary Time Embedding, RoTE (sequential.md §2): RoPE driven by interaction time instead of
/// position, at several granularities (year, month, day), injected into self-attention by
/// rotating queries and keys after their projections.
///
/// For an even head width `d_h`, level `l` with base `B_l` and weight `w_l`:
/// ```
/// ω_{l,j} = B_l^(−2j / d_h),  j = 0 … d_h/2 − 1
/// φ_{l,j}(t) = τ_l(t) · ω_{l,j}                       τ_l: the level's time value (§2.1)
/// R_l(t): (x_{2j}, x_{2j+1}) → (x_{2j} cos φ − x_{2j+1} sin φ, x_{2j} sin φ + x_{2j+1} cos φ)
/// q~ = Σ_l w_l R_l(t_q) q,   k~ = Σ_l w_l R_l(t_k) k       (§2.2)
/// ```
/// The layer has no trained parameters. ``rotation(times:batch:length:)`` computes the fused
/// cosine and sine sums of a window once per forward pass; every layer then calls
/// ``RotaryRotation/apply(_:heads:)`` on its queries and keys, before the attention.
///
/// Defaults follow the official code (`rotary_time_embedding.py`, `configs/rote_sasrec.yaml`):
/// ``TimeDecomposition/approximate`` times, bases `(1e6, 1e4, 1e2)` and weights
/// `(1.5, 1.0, 0.5)` for (year, month, day); ``TimeDecomposition/unix`` is one level of
/// ordinary RoPE, base 1e6 and weight 1, over seconds.
public final class RotaryTimeEmbedding: Module {
    /// How timestamps become level values.
    public let mode: TimeDecomposition
    /// `B_l`, coarsest level first, one per level of ``mode``.
    public let bases: [Double]
    /// `w_l`, one per level.
    public let weights: [Double]
    /// `d_h`, even.
    public let headWidth: Int

    /// - Parameters:
    ///   - headWidth: `d_h`, the width of one attention head; must be even (the rotation acts
    ///     on pairs), or the initializer stops with a message saying so.
    ///   - mode: the timestamp decomposition (approximate, as RoTE-SASRec, by default).
    ///   - bases: `B_l` per level; `nil` for `(1e6, 1e4, 1e2)`, or `(1e6)` in unix mode.
    ///   - weights: `w_l` per level; `nil` for `(1.5, 1.0, 0.5)`, or `(1)` in unix mode.
    public init(
        headWidth: Int, mode: TimeDecomposition = .approximate, bases: [Double]? = nil,
        weights: [Double]? = nil
    ) {
        if let problem = Self.problem(headWidth: headWidth) { preconditionFailure(problem) }
        let levels = mode.levelCount
        let bases = bases ?? (levels == 1 ? [1e6] : [1e6, 1e4, 1e2])
        let weights = weights ?? (levels == 1 ? [1] : [1.5, 1.0, 0.5])
        precondition(
            bases.count == levels && weights.count == levels
                && bases.allSatisfy { $0 > 0 && $0.isFinite },
            "Funnel: RoTE in \(mode) mode needs \(levels) positive bases and \(levels) weights, got \(bases) and \(weights)"
        )
        self.mode = mode
        self.bases = bases
        self.weights = weights
        self.headWidth = headWidth
        super.init()
    }

    /// Why `headWidth` cannot carry a rotary embedding, or `nil` when it can.
    public static func problem(headWidth: Int) -> String? {
        guard headWidth <= 0 || headWidth % 2 != 0 else { return nil }
        return
            "Funnel: RoTE needs an even, positive head width (it rotates pairs of dimensions), got \(headWidth)"
    }

    /// `ω_{l,j} = B_l^(−2j / d_h)` for every level (rows) and pair (columns).
    public var frequencies: [[Double]] {
        bases.map { base in
            (0..<headWidth / 2).map { pair in
                Foundation.pow(base, -2 * Double(pair) / Double(headWidth))
            }
        }
    }

    /// The fused rotation of a window, to apply to the queries and keys of every layer.
    /// - Parameters:
    ///   - times: `[batch · length]` Unix seconds, row-major `[batch, length]`; padding
    ///     positions carry 0 (the caller writes them; RoTE-SASRec does not key-mask them).
    ///   - batch, length: the window's shape.
    /// - Returns: `C` and `S`, `[batch, length, 1, headWidth]` each.
    public func rotation(times: [Int64], batch: Int, length: Int) -> RotaryRotation {
        let levels = mode.levels(times, batch: batch, length: length)
        let frequencies = self.frequencies
        let pairs = headWidth / 2
        var cosines = [Float](repeating: 0, count: batch * length * pairs)
        var sines = cosines
        for position in 0..<(batch * length) {
            for pair in 0..<pairs {
                // Angles and the sums over levels in Double; only the sums are rounded to Float.
                var (cosine, sine) = (0.0, 0.0)
                for level in levels.indices {
                    let angle = levels[level][position] * frequencies[level][pair]
                    cosine += weights[level] * Foundation.cos(angle)
                    sine += weights[level] * Foundation.sin(angle)
                }
                cosines[position * pairs + pair] = Float(cosine)
                sines[position * pairs + pair] = Float(sine)
            }
        }
        return RotaryRotation(
            cosineSums: cosines, sineSums: sines, batch: batch, length: length, headWidth: headWidth
        )
    }
}
