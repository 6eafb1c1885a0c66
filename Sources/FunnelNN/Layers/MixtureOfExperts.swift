import FunnelTensor

/// Multi-gate mixture of experts (MMoE; Ma et al., KDD 2018, DOI 10.1145/3219819.3220007):
/// `experts` MLPs read the same input, and each task's softmax gate mixes their outputs.
/// ESCM²'s public code uses it as the backbone (entire-space.md §5: 8 experts of
/// Linear(276 → 16) + ReLU, one gate per task).
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
    public init(inputDimensions: Int, expertDimensions: [Int], experts: Int, gates: Int, generator: inout RandomGenerator) {
        precondition(experts > 0 && gates > 0 && !expertDimensions.isEmpty, "Funnel: MMoE needs experts, gates and expert layers")
        self.experts = (0..<experts).map { _ in
            MLP(inputDimensions: inputDimensions, hiddenDimensions: expertDimensions, generator: &generator)
        }
        self.gates = (0..<gates).map { _ in Linear(inputDimensions, experts, generator: &generator) }
        super.init()
    }

    public var outputDimensions: Int { experts[0].layers.last!.outputDimensions }

    /// The mixed representation of every gate, in gate order.
    public func callAsFunction(_ input: Tensor) -> [Tensor] {
        let rows = input.shape[0]
        // [n, experts, width]: one batched product per gate mixes all experts at once.
        let stacked = Tensor.concatenated(
            experts.map { $0(input).reshaped([rows, 1, outputDimensions]) }, alongAxis: 1)
        return gates.map { gate in
            let weights = gate(input).softmax(alongAxis: 1).reshaped([rows, 1, experts.count])
            return Tensor.matmul(weights, stacked).reshaped([rows, outputDimensions])
        }
    }
}
