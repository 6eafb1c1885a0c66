import Foundation
import FunnelModels
import FunnelTensor
import Testing

/// adaptation.md §2.2 and §2.8: ReLoop2's attention over read-outs, error estimate and clamp.
@Suite struct ErrorCompensationTests {
    /// Three read-outs of distinct similarity, label and base prediction.
    let readOuts = [
        ErrorMemoryReadOut(similarity: 0.9, label: 1, basePrediction: 0.2),
        ErrorMemoryReadOut(similarity: 0.5, label: 0, basePrediction: 0.4),
        ErrorMemoryReadOut(similarity: 0.1, label: 1, basePrediction: 0.6),
    ]

    /// `ȳ` and `ȳ_base` by hand at τ = 0.1: weights ∝ e^{9}, e^{5}, e^{1}.
    var byHand: (label: Double, basePrediction: Double) {
        let weights = [exp(9.0), exp(5.0), exp(1.0)]
        let total = weights.reduce(0, +)
        return ((weights[0] * 1 + weights[1] * 0 + weights[2] * 1) / total, (weights[0] * 0.2 + weights[1] * 0.4 + weights[2] * 0.6) / total)
    }

    @Test func zeroStrengthLeavesTheBasePredictionExactly() {
        for gamma: Float in [0, 0.5, 1] {
            let compensation = ErrorCompensation(gamma: gamma, strength: 0)
            for base: Float in [0, 0.123456, 0.37, 0.999, 1] {
                #expect(compensation.compensate(basePrediction: base, readOuts: readOuts) == base)
            }
        }
    }

    @Test func fullStrengthWithGammaOneIsTheAttentionWeightedLabelAverage() {
        let compensation = ErrorCompensation(gamma: 1, temperature: 0.1, strength: 1)
        let (label, basePrediction) = byHand
        let neighbourhood = compensation.neighbourhood(readOuts)!
        #expect(Swift.abs(Double(neighbourhood.label) - label) < 1e-6)
        #expect(Swift.abs(Double(neighbourhood.basePrediction) - basePrediction) < 1e-6)
        // ≈ 0.98202: far from the plain mean 2/3, so the attention weights matter.
        #expect(Swift.abs(label - 0.98202) < 1e-4)
        for base: Float in [0.05, 0.3, 0.8] {
            #expect(Swift.abs(Double(compensation.compensate(basePrediction: base, readOuts: readOuts)) - label) < 1e-6)
        }
    }

    @Test func gammaOneIsTheBlendOfBaseAndNeighbourLabels() {
        let compensation = ErrorCompensation(gamma: 1, temperature: 0.1, strength: 0.4)
        let expected = 0.6 * 0.3 + 0.4 * byHand.label
        #expect(Swift.abs(Double(compensation.compensate(basePrediction: 0.3, readOuts: readOuts)) - expected) < 1e-6)
    }

    @Test func gammaMixesTheTwoErrorMeasures() {
        let compensation = ErrorCompensation(gamma: 0.25, temperature: 0.1, strength: 0.5)
        let (label, basePrediction) = byHand
        let error = 0.25 * (label - 0.3) + 0.75 * (label - basePrediction)
        #expect(Swift.abs(Double(compensation.error(basePrediction: 0.3, readOuts: readOuts)) - error) < 1e-6)
        #expect(Swift.abs(Double(compensation.compensate(basePrediction: 0.3, readOuts: readOuts)) - (0.3 + 0.5 * error)) < 1e-6)
    }

    @Test func gammaZeroAddsTheNeighbourResidual() {
        // One read-out: ȳ = y_i, ȳ_base = y_base_i, so y_pred − y_base = λ(y_i − y_base_i).
        let single = [ErrorMemoryReadOut(similarity: 1, label: 1, basePrediction: 0.3)]
        let compensation = ErrorCompensation(gamma: 0, strength: 0.5)
        #expect(Swift.abs(compensation.compensate(basePrediction: 0.4, readOuts: single) - 0.75) < 1e-6)
        // γ = 1 instead uses the current prediction: 0.4 + 0.5 (1 − 0.4).
        #expect(Swift.abs(ErrorCompensation(gamma: 1, strength: 0.5).compensate(basePrediction: 0.4, readOuts: single) - 0.7) < 1e-6)
    }

    @Test func predictionsAreClampedToTheUnitInterval() {
        let compensation = ErrorCompensation(gamma: 0, strength: 1)
        let upward = [ErrorMemoryReadOut(similarity: 1, label: 1, basePrediction: 0)]
        let downward = [ErrorMemoryReadOut(similarity: 1, label: 0, basePrediction: 1)]
        #expect(compensation.compensate(basePrediction: 0.9, readOuts: upward) == 1)
        #expect(compensation.compensate(basePrediction: 0.1, readOuts: downward) == 0)
        #expect(compensation.compensate(basePrediction: 0.5, readOuts: upward) == 1)
        #expect(Swift.abs(compensation.compensate(basePrediction: 0.6, readOuts: downward) - 0) < 1e-7)
    }

    @Test func noReadOutsLeaveTheBasePrediction() {
        let compensation = ErrorCompensation(gamma: 0.5, strength: 1)
        #expect(compensation.compensate(basePrediction: 0.42, readOuts: []) == 0.42)
        #expect(compensation.neighbourhood([]) == nil)
        #expect(compensation.error(basePrediction: 0.42, readOuts: []) == 0)
        #expect(compensation.compensate(basePredictions: [0.1, 0.2], readOuts: [[], readOuts]).count == 2)
    }

    @Test func softmaxIsStableAtATinyTemperature() {
        // Unshifted, e^{1/0.001} overflows Float; shifted, the nearest read-out takes all the weight.
        let compensation = ErrorCompensation(gamma: 1, temperature: 0.001, strength: 1)
        let close = [
            ErrorMemoryReadOut(similarity: 0.99, label: 0, basePrediction: 0),
            ErrorMemoryReadOut(similarity: 1, label: 1, basePrediction: 0),
        ]
        let value = compensation.compensate(basePrediction: 0.5, readOuts: close)
        #expect(value.isFinite)
        #expect(Swift.abs(value - 1) < 1e-4)
    }

    @Test func equalSimilaritiesAverageEvenly() {
        let compensation = ErrorCompensation(gamma: 1, temperature: 0.1, strength: 1)
        let even = [0, 1, 1, 0].map { ErrorMemoryReadOut(similarity: 0.7, label: $0, basePrediction: 0.5) }
        #expect(Swift.abs(compensation.compensate(basePrediction: 0.9, readOuts: even) - 0.5) < 1e-6)
    }

    /// The chunk's slot-by-slot sweep over flat read-outs, empty places interleaved, gives
    /// bit for bit what a plain per-query softmax over the non-empty read-outs gives.
    @Test func aChunkWithEmptyPlacesEqualsThePlainPerQuerySoftmax() {
        let compensation = ErrorCompensation(gamma: 0.7, temperature: 0.1, strength: 0.6)
        var generator = RandomGenerator(seed: 12)
        let (rows, slots) = (40, 9)
        var readOuts = ErrorMemoryReadOuts(rows: rows, slots: slots)
        for slot in 0..<slots {
            for row in 0..<rows where row % 7 != 3 && generator.nextUnitFloat() < 0.6 {
                readOuts[slot, row] = ErrorMemoryReadOut(
                    similarity: generator.nextUnitFloat() * 2 - 1, label: generator.nextUnitFloat() < 0.3 ? 1 : 0,
                    basePrediction: generator.nextUnitFloat())
            }
        }
        let base = (0..<rows).map { _ in generator.nextUnitFloat() }
        let chunk = compensation.compensate(basePredictions: base, readOuts: readOuts)
        for row in 0..<rows {
            let list = readOuts.readOuts(row: row)
            guard let largest = list.map(\.similarity).max() else {
                #expect(chunk[row] == base[row])
                continue
            }
            var (total, label, neighbourBase): (Float, Float, Float) = (0, 0, 0)
            for readOut in list {
                let weight = Foundation.exp((readOut.similarity - largest) / compensation.temperature)
                total += weight
                label += weight * readOut.label
                neighbourBase += weight * readOut.basePrediction
            }
            let (gamma, strength) = (compensation.gamma, compensation.strength)
            let error = gamma * (label / total - base[row]) + (1 - gamma) * (label / total - neighbourBase / total)
            #expect(chunk[row] == Swift.min(1, Swift.max(0, base[row] + strength * error)))
        }
        #expect((0..<rows).contains { readOuts.readOuts(row: $0).isEmpty })
    }

    @Test func defaultsAreThePapersWithAssumedStrength() {
        let compensation = ErrorCompensation()
        #expect(compensation.gamma == 1)
        #expect(compensation.temperature == 0.1)
        #expect(compensation.strength == 0.5)
    }
}
