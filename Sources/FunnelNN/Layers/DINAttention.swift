import FunnelTensor

/// The local activation unit of DIN (Zhou et al., "Deep Interest Network for Click-Through Rate
/// Prediction", KDD 2018, arXiv 1706.06978, DOI 10.1145/3219819.3219823; entire-space.md §9.2):
/// target-aware pooling of a short behaviour sequence.
///
/// By default it follows the official code (`zhougr1993/DeepInterestNetwork`,
/// `din/model.py::attention`):
/// ```
/// in_j = [t, e_j, t − e_j, t ⊙ e_j]                              4d
/// a_j  = Dense(1)(σ(Dense(40)(σ(Dense(80)(in_j)))))
/// a_j  = −2^32 + 1 where position j is padding,  then a_j / √d
/// u    = Σ_j softmax(a)_j · e_j
/// ```
/// The paper's variant (``Normalisation/none``, Eq. 3: "keep the intensity of user interests")
/// uses the scores `a_j` directly as weights (no √d scaling, no softmax), padded weights 0.
///
/// With a ``ContextualPositionEncoding`` (CAPE, sequential.md §3.1, official code
/// `target_attention.py::DIN_Attention`), the query is the target, the logits are the scores
/// times the padding mask, and the position logits join the scores before the masked softmax
/// (or become part of the weights without one): `a'_j = a_j + E_j`. Padded positions keep weight
/// 0 either way. The table starts at zero, so CAPE changes nothing at initialisation.
///
/// Shapes: target `[n, d]`, sequence `[n, S, d]`, mask `[n, S]` (1 valid, 0 padding) → `[n, d]`.
/// A fully padded row outputs exactly 0 with either normalisation, and its behaviours receive no
/// gradient (the official code's softmax would give the mean of the padded embeddings: with
/// padding id 0 a real item's).
public final class DINAttention: Module {
    /// How the scores become pooling weights.
    public enum Normalisation: String, Sendable, Codable, CaseIterable, StrictEnum {
        /// Official code: padding set to −2^32+1, scores divided by √d, softmax over positions.
        case softmax
        /// Paper: the scores are the weights; padding weight 0.
        case none
    }

    /// The score given to padded positions before the √d scaling, `−2^32 + 1` as the official
    /// code (which rounds to −2^32 in Float32).
    public static let paddingScore: Float = -4_294_967_295

    /// The attention MLP: `4d →` hidden layers with sigmoid `→ 1`.
    public let scorer: MLP
    public let normalisation: Normalisation
    /// `d`.
    public let dimensions: Int
    /// CAPE over the sequence's positions (head width `d`, one head), or `nil`.
    public let positionEncoding: ContextualPositionEncoding?

    /// - Parameters:
    ///   - dimensions: `d`, the width of the target and of the behaviour embeddings.
    ///   - hiddenDimensions: the attention MLP's hidden layers ([80, 40] by default, the
    ///     official code).
    ///   - activation: their activation (sigmoid, the official code; the paper uses PReLU or Dice).
    ///   - normalisation: softmax (official code, default) or none (paper).
    ///   - positionEncoding: a CAPE of head width `dimensions`, or `nil` (the default: plain DIN).
    public init(
        dimensions: Int, hiddenDimensions: [Int] = [80, 40], activation: Activation = .sigmoid,
        normalisation: Normalisation = .softmax, positionEncoding: ContextualPositionEncoding? = nil,
        generator: inout RandomGenerator
    ) {
        precondition(
            positionEncoding == nil || positionEncoding!.headWidth == dimensions,
            "Funnel: DIN attention of width \(dimensions) with a CAPE of head width \(positionEncoding!.headWidth)")
        scorer = MLP(
            inputDimensions: 4 * dimensions, hiddenDimensions: hiddenDimensions, outputDimensions: 1,
            activation: activation, generator: &generator)
        self.normalisation = normalisation
        self.dimensions = dimensions
        self.positionEncoding = positionEncoding
        super.init()
    }

    /// `[n, S]`: the attention MLP's raw score `a_j` of every position (before masking).
    public func scores(target: Tensor, sequence: Tensor) -> Tensor {
        let (rows, length) = checkShapes(target: target, sequence: sequence, mask: nil)
        // The first layer without the [n, S, 4d] interactions, unless it must record its input
        // (ReLoop2) or there is no hidden layer.
        guard let first = scorer.layers.first, let bias = first.bias, first.inputRecording == nil else {
            return scorer(Tensor.targetInteractions(target: target, sequence: sequence)).reshaped([rows, length])
        }
        let affine = Tensor.linearOfTargetInteractions(target: target, sequence: sequence, weight: first.weight, bias: bias)
        return scorer(afterFirstLayer: affine.reshaped([rows * length, first.outputDimensions])).reshaped([rows, length])
    }

    /// `[n, S]`: the pooling weight of every position (0 on padding with ``Normalisation/none``;
    /// a softmax over the row with ``Normalisation/softmax``); all 0 in a fully padded row.
    public func weights(target: Tensor, sequence: Tensor, mask: Tensor) -> Tensor {
        let (rows, length) = checkShapes(target: target, sequence: sequence, mask: mask)
        var raw = scores(target: target, sequence: sequence)
        if let positionEncoding {
            // One query (the target) per row: the reference's target expanded over positions
            // gives every position the same z.
            let shape = [rows, 1, 1, length]
            let positions = positionEncoding.positionLogits(
                queries: target.reshaped([rows, 1, 1, dimensions]), logits: (raw * mask).reshaped(shape),
                open: mask.reshaped(shape))
            raw = raw + positions.reshaped([rows, length])
        }
        switch normalisation {
        case .softmax:
            let masked = Tensor.where(mask, raw, Tensor(DINAttention.paddingScore))
            let weights = (masked * (1 / Float(dimensions).squareRoot())).softmax(alongAxis: 1)
            let hasValid = withoutGradients {
                (mask.detached() .!= Tensor(0)).max(alongAxes: [1], keepingDimensions: true)
            }
            return weights * hasValid
        case .none:
            // `where`, not a product with the mask: padding weighs exactly 0 whatever its score.
            return Tensor.where(mask, raw, Tensor(0))
        }
    }

    /// The user's interest in the target (see the type's documentation for shapes).
    public func callAsFunction(target: Tensor, sequence: Tensor, mask: Tensor) -> Tensor {
        let (rows, length) = checkShapes(target: target, sequence: sequence, mask: mask)
        let pooling = weights(target: target, sequence: sequence, mask: mask).reshaped([rows, 1, length])
        return Tensor.matmul(pooling, sequence).reshaped([rows, dimensions])
    }

    private func checkShapes(target: Tensor, sequence: Tensor, mask: Tensor?) -> (rows: Int, length: Int) {
        precondition(
            target.rank == 2 && sequence.rank == 3 && target.shape[0] == sequence.shape[0]
                && target.shape[1] == dimensions && sequence.shape[2] == dimensions
                && (mask == nil || mask!.shape == Array(sequence.shape.prefix(2))),
            "Funnel: DIN attention of target \(target.shape), sequence \(sequence.shape), mask \(mask?.shape ?? []), d = \(dimensions)")
        return (sequence.shape[0], sequence.shape[1])
    }
}
