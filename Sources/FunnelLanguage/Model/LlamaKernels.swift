import Foundation

/// The element-wise pieces of a Llama forward pass (``LlamaModel``), on raw `Float` buffers:
/// RMSNorm (Zhang & Sennrich 2019), rotary position embedding (Su et al. 2021) in llama.cpp's
/// normal mode, SiLU gating (Shazeer 2020, SwiGLU) and a fixed-order SIMD dot product.
/// Every function runs on the calling thread and is deterministic.
public enum LlamaKernels {
    /// RMSNorm of one row: `output[j] = x[j] / sqrt(mean(x²) + ε) · weight[j]` over `count`
    /// values (the mean accumulated in `Double`). `output` may alias `x`.
    public static func rmsNormalize(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, epsilon: Float,
        into output: UnsafeMutablePointer<Float>
    ) {
        var sum = 0.0
        for index in 0..<count { sum += Double(x[index]) * Double(x[index]) }
        let scale = Float(1.0 / (sum / Double(max(count, 1)) + Double(epsilon)).squareRoot())
        for index in 0..<count { output[index] = x[index] * scale * weight[index] }
    }

    /// RMSNorm of an array row (a convenience for tests and small models).
    public static func rmsNormalized(_ x: [Float], weight: [Float], epsilon: Float) -> [Float] {
        precondition(x.count == weight.count, "Funnel: RMSNorm of \(x.count) values with \(weight.count) weights")
        var output = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { weight in
                output.withUnsafeMutableBufferPointer { output in
                    guard let xBase = x.baseAddress, let weightBase = weight.baseAddress, let outputBase = output.baseAddress else { return }
                    rmsNormalize(xBase, weight: weightBase, count: x.count, epsilon: epsilon, into: outputBase)
                }
            }
        }
        return output
    }

    /// The RoPE angles' cosines and sines for `positions`: two `[positions.count × headDimension/2]`
    /// tables with entry `(p, i)` = cos/sin(p · base^(−2i/headDimension)), computed in `Double`.
    public static func rotaryTables(positions: Range<Int>, headDimension: Int, base: Float) -> (cosines: [Float], sines: [Float]) {
        let half = headDimension / 2
        var cosines = [Float](repeating: 0, count: positions.count * half)
        var sines = [Float](repeating: 0, count: positions.count * half)
        let frequencies = (0..<half).map { pow(Double(base), -2.0 * Double($0) / Double(headDimension)) }
        for (row, position) in positions.enumerated() {
            for index in 0..<half {
                let angle = Double(position) * frequencies[index]
                cosines[row * half + index] = Float(cos(angle))
                sines[row * half + index] = Float(sin(angle))
            }
        }
        return (cosines, sines)
    }

    /// Rotates `heads` consecutive heads of `headDimension` values in place, as llama.cpp's
    /// `rope` in normal mode (`LLAMA_ROPE_TYPE_NORM`, the llama architecture): each adjacent
    /// pair `(x[2i], x[2i+1])` of a head turns by angle θ_i with the row's `cosines`/`sines`
    /// (`headDimension/2` each): `(x₀ cos − x₁ sin, x₀ sin + x₁ cos)`.
    public static func rotate(
        _ x: UnsafeMutablePointer<Float>, heads: Int, headDimension: Int,
        cosines: UnsafePointer<Float>, sines: UnsafePointer<Float>
    ) {
        for head in 0..<heads {
            let row = x + head * headDimension
            for index in 0..<(headDimension / 2) {
                let first = row[2 * index]
                let second = row[2 * index + 1]
                row[2 * index] = first * cosines[index] - second * sines[index]
                row[2 * index + 1] = first * sines[index] + second * cosines[index]
            }
        }
    }

    /// SiLU gating of the SwiGLU feed-forward: `output[j] = silu(gate[j]) · up[j]` with
    /// `silu(g) = g / (1 + e^(−g))` (e^(−g) overflowing to ∞ gives −0, never NaN).
    public static func gatedSiLU(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>
    ) {
        for index in 0..<count {
            let value = gate[index]
            output[index] = value / (1 + Foundation.exp(-value)) * up[index]
        }
    }

    /// `Σ x[j]·y[j]` over `count` values, in 16-lane SIMD blocks and a fixed order.
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var accumulator = SIMD16<Float>()
        var index = 0
        let rawX = UnsafeRawPointer(x)
        let rawY = UnsafeRawPointer(y)
        while index + 16 <= count {
            let left = rawX.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
            let right = rawY.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
            accumulator += left * right
            index += 16
        }
        var sum = accumulator.sum()
        while index < count {
            sum += x[index] * y[index]
            index += 1
        }
        return sum
    }

    /// `y[j] += alpha · x[j]` over `count` values.
    @inline(__always)
    public static func addScaled(_ x: UnsafePointer<Float>, alpha: Float, to y: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        let scale = SIMD16<Float>(repeating: alpha)
        let rawX = UnsafeRawPointer(x)
        let rawY = UnsafeMutableRawPointer(y)
        while index + 16 <= count {
            let source = rawX.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
            let target = rawY.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
            rawY.storeBytes(of: target + scale * source, toByteOffset: index * 4, as: SIMD16<Float>.self)
            index += 16
        }
        while index < count {
            y[index] += alpha * x[index]
            index += 1
        }
    }
}
