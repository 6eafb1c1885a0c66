#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FunnelTensor

/// Adam (Kingma & Ba, arXiv 1412.6980) and AdamW (decoupled weight decay; Loshchilov & Hutter,
/// arXiv 1711.05101).
///
/// `m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; θ −= lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)`, as
/// PyTorch's `torch.optim.Adam`. Row-sparse gradients update only the touched rows, and `t`
/// counts the steps in which a parameter received a gradient (PyTorch's `SparseAdam`): a lazy
/// Adam, whose untouched rows do not move at all.
public final class Adam: Optimizer {
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// L2 penalty added to the gradient (Adam) or decoupled decay of the values (AdamW).
    public var weightDecay: Float
    public let decoupledWeightDecay: Bool
    /// Per parameter: first and second moments, and the steps that had a gradient.
    public private(set) var firstMoments: [StateBuffer<Float>] = []
    public private(set) var secondMoments: [StateBuffer<Float>] = []
    public internal(set) var parameterSteps: [Int]
    /// Per parameter: lr/(1 − β₁ᵗ) and √(1 − β₂ᵗ) of its update in this step.
    private var corrections: [(stepSize: Float, root2: Float)]

    public init(
        namedParameters: [(name: String, parameter: Tensor)], learningRate: Float = 1e-3, beta1: Float = 0.9,
        beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false
    ) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        parameterSteps = Array(repeating: 0, count: namedParameters.count)
        corrections = Array(repeating: (0, 1), count: namedParameters.count)
        super.init(namedParameters: namedParameters, learningRate: learningRate)
        firstMoments = stateBuffers()
        secondMoments = stateBuffers()
    }

    /// Parameters named by their position: "0", "1", …
    public convenience init(
        parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false
    ) {
        self.init(
            namedParameters: Self.positionNames(parameters), learningRate: learningRate, beta1: beta1, beta2: beta2,
            epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
    }

    /// AdamW: decoupled weight decay (default 0.01, as PyTorch).
    public static func adamW(
        namedParameters: [(name: String, parameter: Tensor)], learningRate: Float = 1e-3, weightDecay: Float = 0.01
    ) -> Adam {
        Adam(namedParameters: namedParameters, learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    /// AdamW over parameters named by their position.
    public static func adamW(
        parameters: [Tensor], learningRate: Float = 1e-3, weightDecay: Float = 0.01
    ) -> Adam {
        adamW(namedParameters: positionNames(parameters), learningRate: learningRate, weightDecay: weightDecay)
    }

    public override func exportState() -> OptimizerState {
        var state = super.exportState()
        export(firstMoments, as: "firstMoments", into: &state)
        export(secondMoments, as: "secondMoments", into: &state)
        export(counters: parameterSteps, as: "parameterSteps", into: &state)
        return state
    }

    public override func importState(_ state: OptimizerState) throws {
        try super.importState(state)
        try restore(firstMoments, from: "firstMoments", state)
        try restore(secondMoments, from: "secondMoments", state)
        parameterSteps = try restoreCounters(from: "parameterSteps", state)
    }

    public override func beginUpdate(_ index: Int, sparse: Bool) {
        parameterSteps[index] += 1
        let step = Float(parameterSteps[index])
        corrections[index] = (learningRate / (1 - powf(beta1, step)), (1 - powf(beta2, step)).squareRoot())
    }

    public override func update(
        _ index: Int, values: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, offset: Int, count: Int,
        row: Int?
    ) {
        OptimizerKernels.adam(
            values: values, gradient: gradient, first: firstMoments[index].pointer + offset,
            second: secondMoments[index].pointer + offset, count: count, constants: constants(index))
    }

    public override func updateRows(
        _ index: Int, values: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
        rows: UnsafePointer<Int32>, count: Int, width: Int
    ) {
        OptimizerKernels.adamRows(
            values: values, gradient: gradient, first: firstMoments[index].pointer,
            second: secondMoments[index].pointer, rows: rows, count: count, width: width, constants: constants(index))
    }

    /// The kernel's constants for parameter `index` in this step.
    private func constants(_ index: Int) -> OptimizerKernels.AdamConstants {
        OptimizerKernels.AdamConstants(
            beta1: beta1, beta2: beta2, epsilon: epsilon, stepSize: corrections[index].stepSize,
            root2: corrections[index].root2,
            coupledDecay: decoupledWeightDecay ? 0 : weightDecay,
            decoupledScale: decoupledWeightDecay ? 1 - learningRate * weightDecay : 1)
    }
}
