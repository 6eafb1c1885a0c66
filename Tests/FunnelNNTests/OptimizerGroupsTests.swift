import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// An embedding table, a weight and a bias with the same seeded values each time they are made,
/// and a loss reaching the table through a lookup (row-sparse) and the rest densely.
private enum Fixture {
    static func parameters() -> [(name: String, parameter: Tensor)] {
        func parameter(_ shape: [Int], seed: UInt64) -> Tensor {
            Tensor(
                shape: shape, scalars: uniform(shape, -1, 1, seed: seed).scalars,
                requiresGradient: true)
        }
        return [
            ("items.embedding.table", parameter([6, 3], seed: 1)),
            ("tower.weight", parameter([3, 2], seed: 2)),
            ("tower.bias", parameter([2], seed: 3)),
        ]
    }

    static func loss(_ parameters: [(name: String, parameter: Tensor)], step: Int) -> Tensor {
        let ids: [Int32] = step % 2 == 0 ? [1, 4, 1] : [0, 4, 5]
        let rows = parameters[0].parameter.embeddingLookup(ids)
        let outputs = Tensor.matmul(rows, parameters[1].parameter) + parameters[2].parameter
        return (outputs * outputs).sum()
    }

    /// Adagrad on the table, Adam on the rest.
    static func groups(_ parameters: [(name: String, parameter: Tensor)]) -> OptimizerGroups {
        OptimizerGroups(groups: [
            .init(
                name: "embeddings",
                optimizer: Adagrad(namedParameters: [parameters[0]], learningRate: 0.1)),
            .init(
                name: "dense",
                optimizer: Adam(namedParameters: Array(parameters[1...]), learningRate: 0.01)),
        ])
    }
}

@Suite struct OptimizerGroupsTests {
    @Test func eachGroupUpdatesAsALoneOptimizerOfItsKind() {
        let grouped = Fixture.parameters()
        let alone = Fixture.parameters()
        let groups = Fixture.groups(grouped)
        let adagrad = Adagrad(namedParameters: [alone[0]], learningRate: 0.1)
        let adam = Adam(namedParameters: Array(alone[1...]), learningRate: 0.01)
        for step in 0..<4 {
            Fixture.loss(grouped, step: step).backward()
            groups.step()
            Fixture.loss(alone, step: step).backward()
            adagrad.step()
            adam.step()
        }
        for (group, lone) in zip(grouped, alone) {
            #expect(group.parameter.scalars == lone.parameter.scalars, "\(group.name)")
        }
        #expect(
            grouped[1].parameter.scalars != Fixture.parameters()[1].parameter.scalars,
            "the weight moved")
        #expect(
            groups.namedParameters.map(\.name) == [
                "items.embedding.table", "tower.weight", "tower.bias",
            ])
    }

    @Test func stateRoundTripsByGroupAndParameterName() throws {
        let parameters = Fixture.parameters()
        let groups = Fixture.groups(parameters)
        for step in 0..<3 {
            Fixture.loss(parameters, step: step).backward()
            groups.step()
        }
        let state = groups.exportState()
        #expect(state.floats["embeddings/accumulators.items.embedding.table"]?.count == 18)
        #expect(state.floats["dense/firstMoments.tower.weight"]?.count == 6)
        #expect(state.integers["dense/parameterSteps.tower.bias"] == [3])
        #expect(state.integers["dense/stepCount"] == [3])

        // A fresh copy restored from the state continues exactly as the original.
        let copy = Fixture.parameters()
        for (target, source) in zip(copy, parameters) {
            target.parameter.withUnsafeMutableBufferPointer {
                _ = $0.update(fromContentsOf: source.parameter.scalars)
            }
        }
        let restored = Fixture.groups(copy)
        try restored.importState(state)
        #expect(restored.exportState() == state)
        Fixture.loss(parameters, step: 3).backward()
        groups.step()
        Fixture.loss(copy, step: 3).backward()
        restored.step()
        for (original, resumed) in zip(parameters, copy) {
            #expect(original.parameter.scalars == resumed.parameter.scalars, "\(original.name)")
        }
    }

    @Test func renamedParameterIsRefusedByName() {
        var renamed = Fixture.parameters()
        renamed[1].name = "tower.kernel"
        let state = Fixture.groups(Fixture.parameters()).exportState()
        #expect {
            try Fixture.groups(renamed).importState(state)
        } throws: { error in
            "\(error)"
                == "optimizer group 'dense': optimizer state has no 'firstMoments.tower.kernel'"
        }
    }

    @Test func schedulesApplyPerGroup() {
        let (first, second, third) = (
            Tensor([1], requiresGradient: true), Tensor([1], requiresGradient: true),
            Tensor([1], requiresGradient: true)
        )
        let groups = OptimizerGroups(groups: [
            .init(
                name: "halving", optimizer: SGD(namedParameters: [("a", first)], learningRate: 1),
                schedule: .step(every: 2, factor: 0.5)),
            .init(
                name: "warm", optimizer: SGD(namedParameters: [("b", second)], learningRate: 7),
                baseLearningRate: 0.2,
                schedule: .warmupCosine(warmupSteps: 10, totalSteps: 110, minimumFactor: 0.1)),
            .init(
                name: "constant", optimizer: SGD(namedParameters: [("c", third)], learningRate: 0.1)
            ),
        ])
        groups.applySchedules(step: 5)
        expectClose(groups.groups.map(\.optimizer.learningRate), [0.25, 0.2 * 0.6, 0.1])
        for parameter in [first, second, third] { parameter.gradient = Tensor([1]) }
        groups.step()
        expectClose([first.scalar, second.scalar, third.scalar], [0.75, 1 - 0.12, 0.9])
        groups.applySchedules(step: 110)
        expectClose(groups.groups.dropFirst().map(\.optimizer.learningRate), [0.02, 0.1])
    }

    @Test func clippingOverGroupsEqualsClippingOverTheUnion() {
        let grouped = Fixture.parameters()
        let union = Fixture.parameters()
        Fixture.loss(grouped, step: 0).backward()
        Fixture.loss(union, step: 0).backward()
        let groups = Fixture.groups(grouped)
        let norm = groups.clipGradientNorm(0.5)
        #expect(norm > 0.5)
        #expect(norm == Optimizer.clipGradientNorm(of: union.map(\.parameter), to: 0.5))
        for (group, whole) in zip(grouped, union) {
            #expect(
                denseGradient(of: group.parameter) == denseGradient(of: whole.parameter),
                "\(group.name)")
        }
        expectClose([groups.clipGradientNorm(.infinity)], [0.5], tolerance: 1e-5)
    }
}
