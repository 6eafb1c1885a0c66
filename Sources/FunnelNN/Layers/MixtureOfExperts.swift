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
        // The experts are independent: spread over the threads, forward and backward.
        let stacked = Self.stack(Tensor.concurrently(Array(repeating: input, count: experts.count), experts.map { expert in { expert($0) } }))
        return gates.map { Self.mix(stacked, logits: $0(input)) }
    }

    /// Each gate's mixture weights `[n, experts]` (softmax rows) for `input`.
    public func gateWeights(_ input: Tensor) -> [Tensor] {
        gates.map { $0(input).softmax(alongAxis: 1) }
    }

    /// Expert outputs `[n, width]` each, stacked `[n, experts, width]` in the given order.
    public static func stack(_ outputs: [Tensor]) -> Tensor {
        precondition(!outputs.isEmpty, "Funnel: a mixture needs experts")
        let rows = outputs[0].shape[0], width = outputs[0].shape[1]
        return Tensor.concatenated(outputs.map { $0.reshaped([rows, 1, width]) }, alongAxis: 1)
    }

    /// `Σ_k softmax(logits)_k · expert_k` per row: stacked `[n, experts, width]`, gate logits
    /// `[n, experts]` (in the stack's order) → `[n, width]`. One batched product mixes all experts.
    public static func mix(_ stacked: Tensor, logits: Tensor) -> Tensor {
        let rows = stacked.shape[0], count = stacked.shape[1], width = stacked.shape[2]
        precondition(logits.shape == [rows, count], "Funnel: gate logits \(logits.shape) for \(count) experts")
        let weights = logits.softmax(alongAxis: 1).reshaped([rows, 1, count])
        return Tensor.matmul(weights, stacked).reshaped([rows, width])
    }
}
