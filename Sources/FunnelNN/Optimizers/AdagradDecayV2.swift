import FunnelTensor

/// AdagradDecayV2 (Alibaba PAI-TF / DeepRec; entire-space.md §11): Adagrad whose accumulator is
/// shrunk by `decayRate` once every `decayStep` global steps, never below its initial value.
///
/// For a gradient G at global step g (before incrementing): with s = g + 1, if ⌊s/T⌋ > P then
/// `A = max(A·ρ, a₀)` and `P += 1` (at most one decay per update); then `A += G²` and
/// `θ −= lr·G/√A` (no ε). The counter P is one per dense tensor and one per row of an embedding
/// table; a row untouched for several periods decays once per later touch until P catches up.
/// The global step advances once per ``step()``. USD trains with lr 0.01.
public final class AdagradDecayV2: Optimizer {
    public let initialAccumulator: Float
    public let decayStep: Int
    public let decayRate: Float
    public private(set) var accumulators: [[Float]] = []
    /// Per parameter: one decay counter (dense) or one per row (row-sparse).
    public private(set) var decayCounters: [[Int]] = []
    /// g: the number of completed steps.
    public private(set) var globalStep = 0

    public init(
        parameters: [Tensor], learningRate: Float = 0.01, initialAccumulator: Float = 0.1,
        decayStep: Int = 100_000, decayRate: Float = 0.9
    ) {
        precondition(decayRate > 0 && decayRate < 1, "Funnel: AdagradDecayV2 decay rate must lie in (0, 1)")
        precondition(decayStep > 0, "Funnel: AdagradDecayV2 decay step must be positive")
        self.initialAccumulator = initialAccumulator
        self.decayStep = decayStep
        self.decayRate = decayRate
        super.init(parameters: parameters, learningRate: learningRate)
        accumulators = parameters.map { [Float](repeating: initialAccumulator, count: $0.count) }
        decayCounters = parameters.map { parameter in
            [Int](repeating: 0, count: parameter.rank == 2 ? parameter.shape[0] : 1)
        }
    }

    public override func step() {
        super.step()
        globalStep += 1
    }

    private var period: Int { (globalStep + 1) / decayStep }

    public override func updateDense(_ index: Int, values: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>) {
        let decays = period > decayCounters[index][0]
        if decays { decayCounters[index][0] += 1 }
        accumulators[index].withUnsafeMutableBufferPointer { accumulator in
            update(values.baseAddress!, gradient.baseAddress!, accumulator.baseAddress!, count: values.count, decays: decays)
        }
    }

    public override func updateRows(
        _ index: Int, values: UnsafeMutableBufferPointer<Float>, rows: [Int32], gradient: UnsafeBufferPointer<Float>, width: Int
    ) {
        let period = self.period
        accumulators[index].withUnsafeMutableBufferPointer { accumulator in
            for (position, row) in rows.enumerated() {
                let decays = period > decayCounters[index][Int(row)]
                if decays { decayCounters[index][Int(row)] += 1 }
                let offset = Int(row) * width
                update(
                    values.baseAddress! + offset, gradient.baseAddress! + position * width, accumulator.baseAddress! + offset,
                    count: width, decays: decays)
            }
        }
    }

    private func update(
        _ values: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, _ accumulator: UnsafeMutablePointer<Float>,
        count: Int, decays: Bool
    ) {
        let (rate, floor, decayRate) = (learningRate, initialAccumulator, self.decayRate)
        for index in 0..<count {
            var sum = accumulator[index]
            if decays { sum = Swift.max(sum * decayRate, floor) }
            let g = gradient[index]
            sum += g * g
            accumulator[index] = sum
            values[index] -= rate * g / sum.squareRoot()
        }
    }
}
