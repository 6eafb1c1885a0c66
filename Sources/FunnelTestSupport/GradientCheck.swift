import FunnelTensor
import Testing

/// Checks the gradients of `function` at `inputs` against central finite differences.
///
/// The output is projected on fixed random weights (so every output element matters with a
/// different factor), the analytic gradient comes from `backward()`, and each input element is
/// perturbed by ±h. The tolerance is tight enough to catch a wrong factor of 2 or a wrong sign.
///
/// `parameters` are leaves the function reads by itself (a layer's weights): they are checked
/// too, perturbed in place, with their dense or row-sparse gradients.
public func checkGradients(
    _ inputs: [Tensor], parameters: [Tensor] = [], step: Float = 1e-2, tolerance: Double = 2e-3,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ function: ([Tensor]) -> Tensor
) {
    let inputLeaves = inputs.map { Tensor(shape: $0.shape, scalars: $0.scalars, requiresGradient: true) }
    for parameter in parameters { parameter.zeroGradient() }
    let leaves = inputLeaves + parameters
    let output = function(inputLeaves)
    var generator = RandomGenerator(seed: 99)
    let weights = Tensor.randomUniform(output.shape, low: 0.5, high: 1.5, using: &generator)
    (output * weights).sum().backward()

    func objective() -> Double {
        let values = withoutGradients { function(inputLeaves) }.scalars
        return zip(values, weights.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    // Float32 rounding of the objective, amplified by the division by 2h.
    let magnitude = zip(output.scalars, weights.scalars).reduce(0) {
        $0 + Swift.abs(Double($1.0) * Double($1.1))
    }
    for (inputIndex, leaf) in leaves.enumerated() {
        let analytic = denseGradient(of: leaf)
        for element in 0..<leaf.count {
            let original = leaf.scalars[element]
            let h = step * max(1, Swift.abs(original))
            leaf.withUnsafeMutableBufferPointer { $0[element] = original + h }
            let plus = objective()
            leaf.withUnsafeMutableBufferPointer { $0[element] = original - h }
            let minus = objective()
            leaf.withUnsafeMutableBufferPointer { $0[element] = original }
            let numeric = (plus - minus) / (2 * Double(h))
            let noise = 4e-7 * magnitude / Double(h)
            #expect(
                Swift.abs(Double(analytic[element]) - numeric)
                    <= tolerance * max(1, Swift.abs(numeric)) + noise,
                "input \(inputIndex) element \(element): analytic \(analytic[element]), numeric \(numeric)",
                sourceLocation: sourceLocation)
        }
    }
}

/// A seeded tensor of uniform values in [low, high).
public func uniform(_ shape: [Int], _ low: Float = -2, _ high: Float = 2, seed: UInt64 = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape, low: low, high: high, using: &generator)
}

/// Values away from zero (for abs, division, log), with random signs.
public func awayFromZero(_ shape: [Int], seed: UInt64 = 2) -> Tensor {
    let magnitudes = uniform(shape, 0.5, 2, seed: seed)
    let signs = uniform(shape, -1, 1, seed: seed + 1).sign()
    return magnitudes * signs
}

/// Asserts that two arrays agree element-wise within `tolerance` (relative to max(1, |x|)).
public func expectClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (index, (value, reference)) in zip(actual, expected).enumerated() {
        #expect(
            Swift.abs(value - reference) <= tolerance * max(1, Swift.abs(reference)),
            "element \(index): \(value) vs \(reference)", sourceLocation: sourceLocation)
    }
}

/// A leaf's gradient as dense values: its dense gradient plus its row-sparse one expanded.
public func denseGradient(of leaf: Tensor) -> [Float] {
    var values = leaf.gradient?.scalars ?? Array(repeating: 0, count: leaf.count)
    if let sparse = leaf.sparseGradient {
        let (rows, rowValues) = sparse.coalesced()
        for (position, row) in rows.enumerated() {
            for column in 0..<sparse.width {
                values[Int(row) * sparse.width + column] += rowValues[position * sparse.width + column]
            }
        }
    }
    return values
}
