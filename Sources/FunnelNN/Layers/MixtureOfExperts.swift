import FunnelTensor

/// Multi-gate mixture of experts (MMoE; Ma et al., KDD 2018, DOI 10.1145/3219819.3220007):
/// `experts` MLPs read the same input, and each task's softmax gate mixes their outputs.
/// ESCM²'s public code uses it as the backbone (entire-space.md §5: 8 experts of
/// Linear(276 → 16) + ReLU, one gate per task); multitask.md §1 with BatchNorm and dropout in
/// the experts.
///
/// Shapes: input `[n, inputDimensions]` → one `[n, expertDimensions.last]` per gate.
public final class MixtureOfExperts: Module {
    public let experts: [MLP]
    /// One `Linear(inputDimensions → experts)` per task; softmax over the experts.
    public let gates: [Linear]

    /// - Parameters:
    ///   - inputDimensions: the width of the input.
    ///   - expertDimensions: each expert's hidden layers (ReLU after each).
    ///   - experts: how many experts.
    ///   - gates: how many tasks (one gate each).
    ///   - batchNorm, dropout: each expert's MLP block options (``MLP``).
    /// The experts draw from `generator` first, in order, then the gates.
    public init(
        inputDimensions: Int, expertDimensions: [Int], experts: Int, gates: Int, batchNorm: Bool = false, dropout: Float = 0,
        generator: inout RandomGenerator
    ) {
        precondition(experts > 0 && gates > 0 && !expertDimensions.isEmpty, "Funnel: MMoE needs experts, gates and expert layers")
        self.experts = (0..<experts).map { _ in
            MLP(inputDimensions: inputDimensions, hiddenDimensions: expertDimensions, dropout: dropout, batchNorm: batchNorm, generator: &generator)
        }
        self.gates = (0..<gates).map { _ in Linear(inputDimensions, experts, generator: &generator) }
        super.init()
    }

    public var outputDimensions: Int { experts[0].layers.last!.outputDimensions }

    /// The mixed representation of every gate, in gate order.
    public func callAsFunction(_ input: Tensor) -> [Tensor] {
        self(parts: [.rows(input)])
    }

    /// The mixed representations over an input given in parts (the experts' and gates' first
    /// layers multiply a repeated field's distinct ids only, ``Linear/callAsFunction(parts:rectified:)-(LinearPart…)``).
    public func callAsFunction(parts: [Tensor.LinearPart]) -> [Tensor] {
        // The experts are independent: spread over the threads, forward and backward.
        let inputs = parts.tensors
        let outputs = try! Tensor.concurrently(
            Array(repeating: inputs, count: experts.count),
            experts.map { expert in { views in [expert(parts: parts.replacingTensors(with: views))] } }
        ).map { $0[0] }
        return gates.map { Self.mix(outputs, logits: $0(parts: parts)) }
    }

    /// Each gate's mixture weights `[n, experts]` (softmax rows) for `input`.
    public func gateWeights(_ input: Tensor) -> [Tensor] {
        gates.map { $0(input).softmax(alongAxis: 1) }
    }

    /// `Σ_k softmax(logits)_k · experts[k]` per row: expert outputs `[n, width]` each, gate
    /// logits `[n, experts]` (in the experts' order) → `[n, width]`
    /// (``FunnelTensor/Tensor/mixture(_:weights:)``).
    public static func mix(_ experts: [Tensor], logits: Tensor) -> Tensor {
        Tensor.mixture(experts, weights: logits.softmax(alongAxis: 1))
    }
}
