#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

@Suite struct OptimizerTests {
    /// entire-space.md §11, DeepRec's unit test: lr 1, a₀ 0.1, T 3, ρ 0.9, θ₀ 1, G 0.1.
    @Test func adagradDecayV2Oracle() {
        let parameter = Tensor([1], requiresGradient: true)
        let optimizer = AdagradDecayV2(parameters: [parameter], learningRate: 1, initialAccumulator: 0.1, decayStep: 3, decayRate: 0.9)
        var accumulators: [Float] = []
        var values: [Float] = []
        for _ in 0..<4 {
            parameter.gradient = Tensor([0.1])
            optimizer.step()
            accumulators.append(optimizer.accumulators[0][0])
            values.append(parameter.scalar)
        }
        expectClose(accumulators, [0.11, 0.12, 0.118, 0.128], tolerance: 1e-6)
        expectClose(values, [0.698489, 0.409814, 0.118702, -0.160806], tolerance: 1e-5)
    }

    /// With a₀ = 1 and ρ = 0.6 the decayed 1.02·0.6 is floored to 1, so A is 1.01 after step 3.
    @Test func adagradDecayV2Floor() {
        let parameter = Tensor([1], requiresGradient: true)
        let optimizer = AdagradDecayV2(parameters: [parameter], learningRate: 1, initialAccumulator: 1, decayStep: 3, decayRate: 0.6)
        for _ in 0..<3 {
            parameter.gradient = Tensor([0.1])
            optimizer.step()
        }
        expectClose([optimizer.accumulators[0][0]], [1.01], tolerance: 1e-6)
    }

    @Test func adagradDecayV2SparseRowsDecayPerRow() {
        let table = Tensor(shape: [3, 1], scalars: [1, 1, 1], requiresGradient: true)
        let optimizer = AdagradDecayV2(parameters: [table], learningRate: 1, initialAccumulator: 0.1, decayStep: 3, decayRate: 0.9)
        for step in 0..<4 {
            // Row 0 every step; row 2 only at the fourth, when it must decay once to catch up.
            let ids: [Int32] = step == 3 ? [0, 2] : [0]
            (table.embeddingLookup(ids).sum() * 0.1).backward()
            optimizer.step()
        }
        expectClose([optimizer.accumulators[0][0], optimizer.accumulators[0][1], optimizer.accumulators[0][2]], [0.128, 0.1, 0.11], tolerance: 1e-6)
        #expect(optimizer.rowDecayCounters[0].values == [1, 0, 1])
        #expect(table.scalars[1] == 1)
    }

    @Test func lazyAdamLeavesUntouchedRowsAlone() {
        let table = Tensor(shape: [4, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8], requiresGradient: true)
        let optimizer = Adam(parameters: [table], learningRate: 0.1)
        for _ in 0..<3 {
            table.embeddingLookup([1, 3, 1]).sum().backward()
            optimizer.step()
        }
        let values = table.scalars
        #expect(values[0...1] == [1, 2] && values[4...5] == [5, 6], "untouched rows did not move")
        #expect(values[2] < 3 && values[6] < 7)
        #expect(optimizer.firstMoments[0][0] == 0 && optimizer.secondMoments[0][4] == 0, "no state for untouched rows")
        // Adam's first steps move by about lr whatever the gradient's scale.
        expectClose([values[2]], [3 - 0.3], tolerance: 1e-3)
    }

    @Test func adamMatchesPyTorchOnADenseParameter() {
        // torch.optim.Adam(lr=0.1) on θ = [1, −2], loss = Σθ², three steps.
        let parameter = Tensor([1, -2], requiresGradient: true)
        let optimizer = Adam(parameters: [parameter], learningRate: 0.1)
        for _ in 0..<3 {
            (parameter * parameter).sum().backward()
            optimizer.step()
        }
        expectClose(parameter.scalars, [0.7015863, -1.7006234], tolerance: 1e-5)
    }

    @Test func denseUpdatesSplitAcrossParametersChangeNoBit() {
        // Sizes on both sides of the 32k split, so the step's chunks span parameters; each must end
        // exactly where the Adam rule applied to that parameter alone ends.
        let sizes = [40_000, 3, 70_001, 17, 1]
        let parameters = sizes.enumerated().map { index, size in
            Tensor(shape: [size], scalars: uniform([size], seed: UInt64(index + 1)).scalars, requiresGradient: true)
        }
        let expected = parameters.map { $0.scalars }
        var first = sizes.map { [Float](repeating: 0, count: $0) }
        var second = first
        let optimizer = Adam(parameters: parameters, learningRate: 0.01)
        var expectedValues = expected
        for step in 1...2 {
            let gradients = sizes.enumerated().map { uniform([$1], seed: UInt64(10 * step + $0)) }
            for (parameter, gradient) in zip(parameters, gradients) { parameter.gradient = gradient.copy() }
            optimizer.step()
            let constants = OptimizerKernels.AdamConstants(
                beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 0.01 / (1 - powf(0.9, Float(step))),
                root2: (1 - powf(0.999, Float(step))).squareRoot(), coupledDecay: 0, decoupledScale: 1)
            for index in sizes.indices {
                let gradient = gradients[index].scalars
                OptimizerKernels.adam(
                    values: &expectedValues[index], gradient: gradient, first: &first[index], second: &second[index],
                    count: sizes[index], constants: constants)
            }
            #expect(parameters.map(\.scalars) == expectedValues)
        }
    }

    @Test func adamWDecaysDecoupled() {
        let parameter = Tensor([1], requiresGradient: true)
        let optimizer = Adam.adamW(parameters: [parameter], learningRate: 0.1, weightDecay: 0.5)
        parameter.gradient = Tensor([0])
        optimizer.step()
        expectClose(parameter.scalars, [0.95])
    }

    @Test func sgdWithMomentum() {
        let parameter = Tensor([1], requiresGradient: true)
        let optimizer = SGD(parameters: [parameter], learningRate: 0.1, momentum: 0.9)
        for _ in 0..<2 {
            parameter.gradient = Tensor([1])
            optimizer.step()
        }
        expectClose(parameter.scalars, [1 - 0.1 - 0.19])
    }

    @Test func adagrad() {
        let parameter = Tensor([1], requiresGradient: true)
        let optimizer = Adagrad(parameters: [parameter], learningRate: 0.5)
        parameter.gradient = Tensor([2])
        optimizer.step()
        expectClose(parameter.scalars, [0.5])
    }

    @Test func clippingByGlobalNorm() {
        let first = Tensor([0, 0], requiresGradient: true)
        let table = Tensor(shape: [2, 1], scalars: [0, 0], requiresGradient: true)
        first.gradient = Tensor([3, 0])
        table.embeddingLookup([1, 1]).sum().backward(seed: nil)  // row 1 gets 2: sum of duplicates
        let optimizer = SGD(parameters: [first, table], learningRate: 1)
        let norm = optimizer.clipGradientNorm(1)
        expectClose([norm], [Float(13).squareRoot()])
        expectClose(first.gradient!.scalars, [3 / Float(13).squareRoot(), 0])
        optimizer.step()
        expectClose(table.scalars, [0, -2 / Float(13).squareRoot()])
    }

    @Test func stateIsKeyedByParameterName() throws {
        let weight = Tensor([1, 2], requiresGradient: true)
        let table = Tensor(shape: [3, 1], scalars: [1, 1, 1], requiresGradient: true)
        let named = [(name: "tower.weight", parameter: weight), (name: "items.table", parameter: table)]
        let decaying = AdagradDecayV2(namedParameters: named, learningRate: 1)
        let adam = Adam(namedParameters: named)
        for optimizer in [decaying, adam] as [Optimizer] {
            weight.gradient = Tensor([1, 1])
            table.embeddingLookup([2]).sum().backward()
            optimizer.step()
        }
        let decayingState = decaying.exportState()
        #expect(Set(decayingState.floats.keys) == ["accumulators.tower.weight", "accumulators.items.table"])
        #expect(decayingState.integers["tensorDecayCounters.tower.weight"] == [0])
        #expect(decayingState.integers["rowDecayCounters.items.table"] == [0, 0, 0])
        let adamState = adam.exportState()
        #expect(Set(adamState.integers.keys) == ["stepCount", "parameterSteps.tower.weight", "parameterSteps.items.table"])
        #expect(adamState.floats["firstMoments.items.table"]?.count == 3)
        #expect(Adam(parameters: [weight]).exportState().floats.keys.sorted() == ["firstMoments.0", "secondMoments.0"])

        var missing = adamState
        missing.floats["secondMoments.items.table"] = nil
        #expect {
            try Adam(namedParameters: named).importState(missing)
        } throws: { error in
            "\(error)" == "optimizer state has no 'secondMoments.items.table'"
        }
        var resized = adamState
        resized.integers["parameterSteps.tower.weight"] = [1, 1]
        #expect {
            try Adam(namedParameters: named).importState(resized)
        } throws: { error in
            "\(error)" == "optimizer state 'parameterSteps.tower.weight' has 2 values, expected 1"
        }
    }
}
