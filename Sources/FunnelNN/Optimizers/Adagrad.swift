import FunnelTensor

/// Adagrad (Duchi, Hazan & Singer, JMLR 2011): `A += g²; θ −= lr·g / (√A + ε)`, with the
/// accumulator starting at `initialAccumulator` (PyTorch's `initial_accumulator_value`).
/// Row-sparse gradients update only the touched rows.
public final class Adagrad: Optimizer {
    public var epsilon: Float
    public private(set) var accumulators: [StateBuffer<Float>] = []

    public init(
        namedParameters: [(name: String, parameter: Tensor)], learningRate: Float = 0.01, initialAccumulator: Float = 0,
        epsilon: Float = 1e-10
    ) {
        self.epsilon = epsilon
        super.init(namedParameters: namedParameters, learningRate: learningRate)
        accumulators = stateBuffers(repeating: initialAccumulator)
    }

    /// Parameters named by their position: "0", "1", …
    public convenience init(parameters: [Tensor], learningRate: Float = 0.01, initialAccumulator: Float = 0, epsilon: Float = 1e-10) {
        self.init(
            namedParameters: Self.positionNames(parameters), learningRate: learningRate,
            initialAccumulator: initialAccumulator, epsilon: epsilon)
    }

    public override func exportState() -> OptimizerState {
        var state = super.exportState()
        export(accumulators, as: "accumulators", into: &state)
        return state
    }

    public override func importState(_ state: OptimizerState) throws {
        try super.importState(state)
        try restore(accumulators, from: "accumulators", state)
    }

    public override func update(
        _ index: Int, values: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, offset: Int, count: Int,
        row: Int?
    ) {
        let accumulator = accumulators[index].pointer + offset
        let (rate, epsilon) = (learningRate, self.epsilon)
        for element in 0..<count {
            let g = gradient[element]
            let sum = accumulator[element] + g * g
            accumulator[element] = sum
            values[element] -= rate * g / (sum.squareRoot() + epsilon)
        }
    }
}

/// Stochastic gradient descent with momentum, as PyTorch: `b = μb + g; θ −= lr·b` (or
/// `θ −= lr·(g + μb)` with Nesterov). Row-sparse gradients update only the touched rows.
public final class SGD: Optimizer {
    public var momentum: Float
    public var nesterov: Bool
    public var weightDecay: Float
    public private(set) var velocities: [StateBuffer<Float>] = []

    public init(
        namedParameters: [(name: String, parameter: Tensor)], learningRate: Float, momentum: Float = 0,
        nesterov: Bool = false, weightDecay: Float = 0
    ) {
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        super.init(namedParameters: namedParameters, learningRate: learningRate)
        velocities = stateBuffers()
    }

    /// Parameters named by their position: "0", "1", …
    public convenience init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.init(
            namedParameters: Self.positionNames(parameters), learningRate: learningRate, momentum: momentum,
            nesterov: nesterov, weightDecay: weightDecay)
    }

    public override func exportState() -> OptimizerState {
        var state = super.exportState()
        export(velocities, as: "velocities", into: &state)
        return state
    }

    public override func importState(_ state: OptimizerState) throws {
        try super.importState(state)
        try restore(velocities, from: "velocities", state)
    }

    public override func update(
        _ index: Int, values: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, offset: Int, count: Int,
        row: Int?
    ) {
        let velocity = velocities[index].pointer + offset
        let (rate, momentum, decay) = (learningRate, self.momentum, weightDecay)
        for element in 0..<count {
            let g = gradient[element] + decay * values[element]
            guard momentum != 0 else {
                values[element] -= rate * g
                continue
            }
            let b = momentum * velocity[element] + g
            velocity[element] = b
            values[element] -= rate * (nesterov ? g + momentum * b : b)
        }
    }
}
