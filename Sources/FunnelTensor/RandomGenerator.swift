#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64): the same seed
/// gives the same sequence on every machine, which Funnel's reproducibility rests on.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator from a seed; different seeds give independent-looking streams.
    public init(seed: UInt64) {
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var value = mixer
            value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
            value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
            return value ^ (value >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The generator of one training step: every random draw of a step (dropout masks, sampled
    /// negatives, noise) comes from (seed, epoch, step), so a run resumed from a checkpoint
    /// draws exactly what an uninterrupted run draws.
    public init(seed: UInt64, epoch: Int, step: Int) {
        var mixed = RandomGenerator(seed: seed ^ 0xD1B5_4A32_D192_ED03)
        mixed = RandomGenerator(seed: mixed.next() ^ UInt64(truncatingIfNeeded: epoch))
        self.init(seed: mixed.next() ^ UInt64(truncatingIfNeeded: step) &* 0x9E37_79B9_7F4A_7C15)
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    /// A uniform value in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A standard normal value (Box–Muller on two uniform values in (0, 1]).
    public mutating func nextNormal() -> Float {
        let first = Double((next() >> 11) + 1) * 0x1p-53
        let second = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(first)).squareRoot() * cos(2 * Double.pi * second))
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}

extension Tensor {
    /// Values drawn from a normal distribution.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
        using generator: inout RandomGenerator, requiresGradient: Bool = false
    ) -> Tensor {
        let count = Tensor.count(of: shape)
        var values = [Float](repeating: 0, count: count)
        for index in values.indices { values[index] = mean + standardDeviation * generator.nextNormal() }
        return Tensor(shape: shape, scalars: values, requiresGradient: requiresGradient)
    }

    /// Values drawn uniformly from [low, high).
    public static func randomUniform(
        _ shape: [Int], low: Float = 0, high: Float = 1,
        using generator: inout RandomGenerator, requiresGradient: Bool = false
    ) -> Tensor {
        let count = Tensor.count(of: shape)
        var values = [Float](repeating: 0, count: count)
        for index in values.indices { values[index] = low + (high - low) * generator.nextUnitFloat() }
        return Tensor(shape: shape, scalars: values, requiresGradient: requiresGradient)
    }
}
