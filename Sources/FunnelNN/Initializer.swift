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
        if case .constant(let value) = self {
            tensor = Tensor(shape: shape, repeating: value)
        } else {
            let draw = sampler(fanIn: fanIn, fanOut: fanOut)
            var values = [Float](repeating: 0, count: shape.reduce(1, *))
            for index in values.indices { values[index] = draw(&generator) }
            tensor = Tensor(shape: shape, scalars: values)
        }
        tensor.requiresGradient = true
        return tensor
    }

    /// Rows `first`, `first + every`, `first + 2·every`, … of what ``make(_:fanIn:fanOut:using:)``
    /// draws for a `[rows, dimensions]` table (fan-in `rows`, fan-out `dimensions`), without
    /// holding the others: every value is drawn in the same order and the other rows' are
    /// dropped, so a sharded table starts as its rows of the whole one.
    public func make(rows: Int, dimensions: Int, keepingEvery every: Int, from first: Int, using generator: inout RandomGenerator) -> Tensor {
        let kept = EmbeddingShard.localRows(total: rows, rank: first, ranks: every)
        let tensor: Tensor
        if case .constant(let value) = self {
            tensor = Tensor(shape: [kept, dimensions], repeating: value)
        } else {
            let draw = sampler(fanIn: rows, fanOut: dimensions)
            var values = [Float](repeating: 0, count: kept * dimensions)
            for row in 0..<rows {
                guard row % every == first else {
                    for _ in 0..<dimensions { _ = draw(&generator) }
                    continue
                }
                let start = row / every * dimensions
                for column in 0..<dimensions { values[start + column] = draw(&generator) }
            }
            tensor = Tensor(shape: [kept, dimensions], scalars: values)
        }
        tensor.requiresGradient = true
        return tensor
    }

    /// One value's draw (not for ``constant(_:)``).
    private func sampler(fanIn: Int, fanOut: Int) -> (inout RandomGenerator) -> Float {
        switch self {
        case .glorotUniform:
            uniform(limit: (6 / Float(fanIn + fanOut)).squareRoot())
        case .glorotNormal:
            normal(mean: 0, standardDeviation: (2 / Float(fanIn + fanOut)).squareRoot())
        case .heUniform:
            uniform(limit: (6 / Float(fanIn)).squareRoot())
        case .heNormal:
            normal(mean: 0, standardDeviation: (2 / Float(fanIn)).squareRoot())
        case .fanInUniform:
            uniform(limit: 1 / Float(fanIn).squareRoot())
        case .normal(let mean, let standardDeviation):
            normal(mean: mean, standardDeviation: standardDeviation)
        case .uniform(let low, let high):
            { low + (high - low) * $0.nextUnitFloat() }
        case .constant(let value):
            { _ in value }
        }
    }

    private func uniform(limit: Float) -> (inout RandomGenerator) -> Float {
        { -limit + 2 * limit * $0.nextUnitFloat() }
    }

    private func normal(mean: Float, standardDeviation: Float) -> (inout RandomGenerator) -> Float {
        { mean + standardDeviation * $0.nextNormal() }
    }
}
