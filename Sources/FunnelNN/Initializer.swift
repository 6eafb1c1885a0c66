import FunnelTensor

/// How a parameter's first values are drawn. Every initializer draws from a seeded
/// ``RandomGenerator``, so the same seed gives the same model.
public enum Initializer: Sendable, Equatable, Codable {
    /// Uniform in ±√(6 / (fanIn + fanOut)) (Glorot & Bengio, AISTATS 2010).
    case glorotUniform
    /// Normal with standard deviation √(2 / (fanIn + fanOut)).
    case glorotNormal
    /// Uniform in ±√(6 / fanIn) (He et al., ICCV 2015; for ReLU layers).
    case heUniform
    /// Normal with standard deviation √(2 / fanIn).
    case heNormal
    /// Uniform in ±1/√fanIn: PyTorch's default for `nn.Linear`.
    case fanInUniform
    case normal(mean: Float, standardDeviation: Float)
    case uniform(low: Float, high: Float)
    case constant(Float)

    /// A tensor of `shape` with fan-in and fan-out as given (for a `[out, in]` weight,
    /// fanIn = in and fanOut = out).
    public func make(
        _ shape: [Int], fanIn: Int, fanOut: Int, using generator: inout RandomGenerator
    ) -> Tensor {
        let tensor: Tensor
        switch self {
        case .glorotUniform:
            let limit = (6 / Float(fanIn + fanOut)).squareRoot()
            tensor = Tensor.randomUniform(shape, low: -limit, high: limit, using: &generator)
        case .glorotNormal:
            tensor = Tensor.randomNormal(
                shape, standardDeviation: (2 / Float(fanIn + fanOut)).squareRoot(), using: &generator)
        case .heUniform:
            let limit = (6 / Float(fanIn)).squareRoot()
            tensor = Tensor.randomUniform(shape, low: -limit, high: limit, using: &generator)
        case .heNormal:
            tensor = Tensor.randomNormal(shape, standardDeviation: (2 / Float(fanIn)).squareRoot(), using: &generator)
        case .fanInUniform:
            let limit = 1 / Float(fanIn).squareRoot()
            tensor = Tensor.randomUniform(shape, low: -limit, high: limit, using: &generator)
        case .normal(let mean, let standardDeviation):
            tensor = Tensor.randomNormal(shape, mean: mean, standardDeviation: standardDeviation, using: &generator)
        case .uniform(let low, let high):
            tensor = Tensor.randomUniform(shape, low: low, high: high, using: &generator)
        case .constant(let value):
            tensor = Tensor(shape: shape, repeating: value)
        }
        tensor.requiresGradient = true
        return tensor
    }
}
