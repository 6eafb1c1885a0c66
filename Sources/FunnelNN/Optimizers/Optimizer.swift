#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FunnelTensor

/// Updates parameters from their accumulated gradients.
///
/// An optimizer is built over a list of parameters and keeps its state per parameter (and, for
/// embedding tables, per row). ``step()`` applies the gradients found on the parameters — dense
/// ones to every value, row-sparse ones (from ``Tensor/embeddingLookup(_:)``) only to the touched
/// rows (lazy updates) — and then clears them.
open class Optimizer {
    /// The parameters, in a fixed order (their index keys the state).
    public let parameters: [Tensor]
    /// The step size; a schedule may change it between steps.
    public var learningRate: Float
    /// Steps taken so far.
    public private(set) var stepCount = 0

    public init(parameters: [Tensor], learningRate: Float) {
        self.parameters = parameters
        self.learningRate = learningRate
    }

    /// Applies every parameter's gradient and clears it.
    public func step() {
        stepCount += 1
        for (index, parameter) in parameters.enumerated() {
            if let gradient = parameter.gradient {
                precondition(gradient.shape == parameter.shape, "Funnel: gradient shape \(gradient.shape) for parameter \(parameter.shape)")
                parameter.withUnsafeMutableBufferPointer { values in
                    gradient.withUnsafeBufferPointer { gradient in
                        updateDense(index, values: values, gradient: gradient)
                    }
                }
            }
            if let sparse = parameter.sparseGradient {
                let (rows, values) = sparse.coalesced()
                parameter.withUnsafeMutableBufferPointer { parameterValues in
                    values.withUnsafeBufferPointer { gradient in
                        updateRows(index, values: parameterValues, rows: rows, gradient: gradient, width: sparse.width)
                    }
                }
            }
            parameter.zeroGradient()
        }
    }

    /// Updates all values of parameter `index` from a dense gradient.
    open func updateDense(_ index: Int, values: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>) {
        fatalError("\(Self.self) must implement updateDense")
    }

    /// Updates the given rows of parameter `index` (`gradient` holds `rows.count × width`
    /// values, rows distinct).
    open func updateRows(
        _ index: Int, values: UnsafeMutableBufferPointer<Float>, rows: [Int32],
        gradient: UnsafeBufferPointer<Float>, width: Int
    ) {
        fatalError("\(Self.self) must implement updateRows")
    }

    /// Zero-filled state of the same size as each parameter.
    func zeroState() -> [[Float]] {
        parameters.map { [Float](repeating: 0, count: $0.count) }
    }
}

extension Optimizer {
    /// Scales all gradients so that their global L2 norm is at most `maximumNorm` (Pascanu et al.,
    /// ICML 2013); returns the norm before clipping. Row-sparse gradients count with duplicate
    /// rows summed.
    @discardableResult
    public func clipGradientNorm(_ maximumNorm: Float) -> Float {
        var squares = 0.0
        for parameter in parameters {
            parameter.gradient?.withUnsafeBufferPointer { values in
                for value in values { squares += Double(value) * Double(value) }
            }
            if let sparse = parameter.sparseGradient {
                for value in sparse.coalesced().values { squares += Double(value) * Double(value) }
            }
        }
        let norm = Float(squares.squareRoot())
        guard norm > maximumNorm, norm > 0 else { return norm }
        let scale = maximumNorm / norm
        for parameter in parameters {
            parameter.gradient?.withUnsafeMutableBufferPointer { values in
                for index in values.indices { values[index] *= scale }
            }
            parameter.sparseGradient?.scale(by: scale)
        }
        return norm
    }
}

/// A learning rate that changes with the step.
public enum LearningRateSchedule: Sendable, Codable, Equatable {
    case constant
    /// Multiplied by `factor` every `every` steps.
    case step(every: Int, factor: Float)
    /// Linear warm-up from 0 over `warmupSteps`, then cosine decay to `minimumFactor` of the base
    /// rate at `totalSteps` (Loshchilov & Hutter, arXiv 1608.03983).
    case warmupCosine(warmupSteps: Int, totalSteps: Int, minimumFactor: Float)

    /// The rate at `step` (0-based) for a base rate.
    public func learningRate(base: Float, step: Int) -> Float {
        switch self {
        case .constant:
            return base
        case .step(let every, let factor):
            var rate = base
            for _ in 0..<(step / Swift.max(every, 1)) { rate *= factor }
            return rate
        case .warmupCosine(let warmupSteps, let totalSteps, let minimumFactor):
            if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
            let progress = Float(Swift.min(step - warmupSteps, totalSteps - warmupSteps)) / Float(Swift.max(totalSteps - warmupSteps, 1))
            let cosine = 0.5 * (1 + Float(cos(Double.pi * Double(progress))))
            return base * (minimumFactor + (1 - minimumFactor) * cosine)
        }
    }
}
