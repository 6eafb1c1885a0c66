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
    public private(set) var firstMoments: [[Float]] = []
    public private(set) var secondMoments: [[Float]] = []
    public private(set) var parameterSteps: [Int]

    public init(
        parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false
    ) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        parameterSteps = Array(repeating: 0, count: parameters.count)
        super.init(parameters: parameters, learningRate: learningRate)
        firstMoments = zeroState()
        secondMoments = zeroState()
    }

    /// AdamW: decoupled weight decay (default 0.01, as PyTorch).
    public static func adamW(
        parameters: [Tensor], learningRate: Float = 1e-3, weightDecay: Float = 0.01
    ) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public override func updateDense(_ index: Int, values: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>) {
        parameterSteps[index] += 1
        let corrections = biasCorrections(step: parameterSteps[index])
        let count = values.count
        firstMoments[index].withUnsafeMutableBufferPointer { first in
            secondMoments[index].withUnsafeMutableBufferPointer { second in
                let (values, gradient, first, second) = (values.baseAddress!, gradient.baseAddress!, first.baseAddress!, second.baseAddress!)
                let tasks = Self.tasks(for: count)
                Compute.parallelFor(tasks: tasks) { task in
                    let range = Compute.range(of: task, tasks: tasks, count: count)
                    let start = range.lowerBound
                    update(values + start, gradient + start, first + start, second + start, count: range.count, corrections)
                }
            }
        }
    }

    public override func updateRows(
        _ index: Int, values: UnsafeMutableBufferPointer<Float>, rows: [Int32], gradient: UnsafeBufferPointer<Float>, width: Int
    ) {
        parameterSteps[index] += 1
        let corrections = biasCorrections(step: parameterSteps[index])
        firstMoments[index].withUnsafeMutableBufferPointer { first in
            secondMoments[index].withUnsafeMutableBufferPointer { second in
                let (values, gradient, first, second) = (values.baseAddress!, gradient.baseAddress!, first.baseAddress!, second.baseAddress!)
                let tasks = Self.tasks(for: rows.count * width)
                Compute.parallelFor(tasks: tasks) { task in
                    for position in Compute.range(of: task, tasks: tasks, count: rows.count) {
                        let offset = Int(rows[position]) * width
                        update(
                            values + offset, gradient + position * width, first + offset, second + offset, count: width,
                            corrections)
                    }
                }
            }
        }
    }

    /// Splits updates of more than 32k values across the kernels' threads (rows are
    /// independent, so the result does not depend on the split).
    static func tasks(for count: Int) -> Int {
        count < 1 << 15 ? 1 : Compute.threadCount
    }

    /// The step size lr/(1 − β₁ᵗ) and √(1 − β₂ᵗ).
    private func biasCorrections(step: Int) -> (stepSize: Float, root2: Float) {
        (learningRate / (1 - powf(beta1, Float(step))), (1 - powf(beta2, Float(step))).squareRoot())
    }

    private func update(
        _ values: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, _ first: UnsafeMutablePointer<Float>,
        _ second: UnsafeMutablePointer<Float>, count: Int, _ corrections: (stepSize: Float, root2: Float)
    ) {
        let (stepSize, root2) = corrections
        let (beta1, beta2, epsilon, decay) = (self.beta1, self.beta2, self.epsilon, weightDecay)
        let coupled = decoupledWeightDecay ? Float(0) : decay
        let decoupled = decoupledWeightDecay ? 1 - learningRate * decay : 1
        for index in 0..<count {
            let g = gradient[index] + coupled * values[index]
            let m = beta1 * first[index] + (1 - beta1) * g
            let v = beta2 * second[index] + (1 - beta2) * g * g
            first[index] = m
            second[index] = v
            values[index] = values[index] * decoupled - stepSize * m / ((v.squareRoot() / root2) + epsilon)
        }
    }
}
