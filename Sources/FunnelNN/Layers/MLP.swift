import FunnelTensor

/// A multi-layer perceptron: Linear → (LayerNorm or BatchNorm) → activation → (Dropout) per
/// hidden layer (with BatchNorm: the MLP block of multitask.md §0, `Linear → BatchNorm1d → ReLU →
/// Dropout`),
/// then an optional output Linear without activation (a tower's logit).
///
/// Shapes: input `[..., inputDimensions]`; output `[..., outputDimensions ?? hiddenDimensions.last]`.
public final class MLP: Module {
    public let layers: [Linear]
    public let norms: [LayerNorm]
    /// One ``BatchNorm`` per hidden layer when `batchNorm`, else empty.
    public let batchNorms: [BatchNorm]
    public let dropouts: [Dropout]
    public let output: Linear?
    public let activation: Activation

    /// - Parameters:
    ///   - inputDimensions: the width of the input.
    ///   - hiddenDimensions: the width of each hidden layer.
    ///   - outputDimensions: the width of a final linear layer without activation (1 for a
    ///     logit), or `nil` for none.
    ///   - activation: the hidden layers' non-linearity.
    ///   - dropout: the drop probability after each hidden layer (0 for none).
    ///   - layerNorm: whether each hidden layer is normalised before its activation.
    ///   - batchNorm: whether each hidden layer is batch-normalised before its activation (not
    ///     with `layerNorm`). Draws nothing from `generator`.
    public init(
        inputDimensions: Int, hiddenDimensions: [Int], outputDimensions: Int? = nil,
        activation: Activation = .relu, dropout: Float = 0, layerNorm: Bool = false, batchNorm: Bool = false,
        generator: inout RandomGenerator
    ) {
        precondition(!(layerNorm && batchNorm), "Funnel: an MLP normalises with LayerNorm or BatchNorm, not both")
        var layers: [Linear] = []
        var width = inputDimensions
        for hidden in hiddenDimensions {
            layers.append(Linear(width, hidden, generator: &generator))
            width = hidden
        }
        self.layers = layers
        norms = layerNorm ? hiddenDimensions.map { LayerNorm(dimensions: $0) } : []
        batchNorms = batchNorm ? hiddenDimensions.map { BatchNorm(features: $0) } : []
        dropouts = dropout > 0 ? hiddenDimensions.map { _ in Dropout(probability: dropout, seed: generator.next()) } : []
        output = outputDimensions.map { Linear(width, $0, generator: &generator) }
        self.activation = activation
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        self(parts: [input])
    }

    /// The network applied to the concatenation of `parts` along their last axis; the first
    /// layer reads the parts where they lie (``Linear/callAsFunction(parts:rectified:)``). A
    /// ReLU straight after a layer (no normalisation between) is fused into its bias pass.
    ///
    /// Shapes: parts `[..., inᵢ]` with `Σ inᵢ = inputDimensions`.
    public func callAsFunction(parts: [Tensor]) -> Tensor {
        self(parts: parts.map { .rows($0) })
    }

    /// The network over parts that may store a batch's repeated rows once: the first layer
    /// multiplies their distinct rows (``Linear/callAsFunction(parts:rectified:)-(LinearPart…)``).
    public func callAsFunction(parts: [Tensor.LinearPart]) -> Tensor {
        guard !layers.isEmpty else {
            let input = parts.concatenated
            return output.map { $0(input) } ?? input
        }
        return stages(from: layers[0](parts: parts, rectified: fusesReLU), rectified: fusesReLU)
    }

    /// The network from its first layer's affine output on, where a fused primitive computed
    /// that layer (DIN's ``Tensor/linearOfTargetInteractions(target:sequence:weight:bias:)``
    /// with ``layers``[0]'s parameters): that layer's normalisation, activation and dropout,
    /// then the remaining layers. The MLP must have a hidden layer.
    ///
    /// Shapes: `[..., hidden₀]` → the network's output.
    public func callAsFunction(afterFirstLayer preActivation: Tensor) -> Tensor {
        precondition(!layers.isEmpty, "Funnel: an MLP without hidden layers has no first layer to continue from")
        return stages(from: preActivation, rectified: false)
    }

    /// Whether a ReLU follows each layer directly, so that the layer applies it in its bias pass.
    private var fusesReLU: Bool { activation == .relu && norms.isEmpty && batchNorms.isEmpty }

    /// Everything after the first layer's affine map (`rectified`: its ReLU already applied):
    /// its normalisation, activation and dropout, then every later layer and the output layer.
    private func stages(from first: Tensor, rectified: Bool) -> Tensor {
        var hidden = first
        for index in layers.indices {
            let applied = index == 0 ? rectified : fusesReLU
            if index > 0 { hidden = layers[index](parts: [hidden], rectified: applied) }
            if !norms.isEmpty { hidden = norms[index](hidden) }
            if !batchNorms.isEmpty { hidden = batchNorms[index](hidden) }
            if !applied { hidden = activation(hidden) }
            if !dropouts.isEmpty { hidden = dropouts[index](hidden) }
        }
        return output.map { $0(hidden) } ?? hidden
    }
}
