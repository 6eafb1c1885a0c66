import FunnelTensor

/// Adagrad (Duchi, Hazan & Singer, JMLR 2011): `A += g²; θ −= lr·g / (√A + ε)`, with the
/// accumulator starting at `initialAccumulator` (PyTorch's `initial_accumulator_value`).
/// Row-sparse gradients update only the touched rows.
public final class Adagrad: Optimizer {
    public var epsilon: Float
    public private(set) var accumulators: [[Float]] = []

    public init(parameters: [Tensor], learningRate: Float = 0.01, initialAccumulator: Float = 0, epsilon: Float = 1e-10) {
        self.epsilon = epsilon
        super.init(parameters: parameters, learningRate: learningRate)
        accumulators = parameters.map { [Float](repeating: initialAccumulator, count: $0.count) }
    }

    public override func updateDense(_ index: Int, values: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>) {
        accumulators[index].withUnsafeMutableBufferPointer { accumulator in
            update(values.baseAddress!, gradient.baseAddress!, accumulator.baseAddress!, count: values.count)
        }
    }

    public override func updateRows(
        _ index: Int, values: UnsafeMutableBufferPointer<Float>, rows: [Int32], gradient: UnsafeBufferPointer<Float>, width: Int
    ) {
        accumulators[index].withUnsafeMutableBufferPointer { accumulator in
            for (position, row) in rows.enumerated() {
                let offset = Int(row) * width
                update(values.baseAddress! + offset, gradient.baseAddress! + position * width, accumulator.baseAddress! + offset, count: width)
            }
        }
    }

    private func update(_ values: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, _ accumulator: UnsafeMutablePointer<Float>, count: Int) {
        let (rate, epsilon) = (learningRate, self.epsilon)
        for index in 0..<count {
            let g = gradient[index]
            let sum = accumulator[index] + g * g
            accumulator[index] = sum
            values[index] -= rate * g / (sum.squareRoot() + epsilon)
        }
    }
}

/// Stochastic gradient descent with momentum, as PyTorch: `b = μb + g; θ −= lr·b` (or
/// `θ −= lr·(g + μb)` with Nesterov). Row-sparse gradients update only the touched rows.
public final class SGD: Optimizer {
    public var momentum: Float
    public var nesterov: Bool
    public var weightDecay: Float
    public private(set) var velocities: [[Float]] = []

    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        super.init(parameters: parameters, learningRate: learningRate)
        velocities = zeroState()
    }

    public override func updateDense(_ index: Int, values: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>) {
        velocities[index].withUnsafeMutableBufferPointer { velocity in
            update(values.baseAddress!, gradient.baseAddress!, velocity.baseAddress!, count: values.count)
        }
    }

    public override func updateRows(
        _ index: Int, values: UnsafeMutableBufferPointer<Float>, rows: [Int32], gradient: UnsafeBufferPointer<Float>, width: Int
    ) {
        velocities[index].withUnsafeMutableBufferPointer { velocity in
            for (position, row) in rows.enumerated() {
                let offset = Int(row) * width
                update(values.baseAddress! + offset, gradient.baseAddress! + position * width, velocity.baseAddress! + offset, count: width)
            }
        }
    }

    private func update(_ values: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, _ velocity: UnsafeMutablePointer<Float>, count: Int) {
        let (rate, momentum, decay) = (learningRate, self.momentum, weightDecay)
        for index in 0..<count {
            let g = gradient[index] + decay * values[index]
            guard momentum != 0 else {
                values[index] -= rate * g
                continue
            }
            let b = momentum * velocity[index] + g
            velocity[index] = b
            values[index] -= rate * (nesterov ? g + momentum * b : b)
        }
    }
}
