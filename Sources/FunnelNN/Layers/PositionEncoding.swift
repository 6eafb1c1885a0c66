#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FunnelTensor

/// Adds a learned vector per position (BERT, SASRec).
///
/// Shapes: input `[batch, length, dimensions]` with length ≤ `maximumLength` → same.
public final class LearnedPositionEncoding: Module {
    public let table: Tensor

    public init(maximumLength: Int, dimensions: Int, generator: inout RandomGenerator) {
        table = Initializer.normal(mean: 0, standardDeviation: 0.02).make(
            [maximumLength, dimensions], fanIn: maximumLength, fanOut: dimensions, using: &generator)
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input + table.sliced(alongAxis: 0, 0..<input.shape[1])
    }
}

/// Adds the fixed sinusoids of Vaswani et al. (arXiv 1706.03762, §3.5):
/// PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(p / 10000^(2i/d)). No parameters.
///
/// Shapes: input `[batch, length, dimensions]` with length ≤ `maximumLength` → same.
public final class SinusoidalPositionEncoding: Module {
    public let table: Tensor

    public init(maximumLength: Int, dimensions: Int) {
        var values = [Float](repeating: 0, count: maximumLength * dimensions)
        for position in 0..<maximumLength {
            for index in 0..<dimensions {
                let pair = Double(index / 2 * 2)
                let angle = Double(position) / pow(10_000, pair / Double(dimensions))
                values[position * dimensions + index] = Float(index % 2 == 0 ? sin(angle) : cos(angle))
            }
        }
        table = Tensor(shape: [maximumLength, dimensions], scalars: values)
        super.init()
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input + table.sliced(alongAxis: 0, 0..<input.shape[1])
    }
}
