import Foundation
import FunnelModels
import Testing

@testable import FunnelTraining

@Suite struct ParameterGridTests {
    @Test func combinationsVaryTheLastFieldFastest() throws {
        let grid = ParameterGrid(values: ["l2": [.number(0.1), .number(0.01)], "dimensions": [.number(8), .number(16), .number(32)]])
        let combinations = grid.combinations
        #expect(combinations.count == 6)
        #expect(combinations.map(ParameterGrid.describe) == [
            "dimensions 8, l2 0.1", "dimensions 8, l2 0.01", "dimensions 16, l2 0.1",
            "dimensions 16, l2 0.01", "dimensions 32, l2 0.1", "dimensions 32, l2 0.01",
        ])
        let applied = try ParameterGrid.apply(combinations[3], to: .object(["dimensions": .number(4), "target": .string("rating")]), context: "c")
        #expect(applied == .object(["dimensions": .number(16), "l2": .number(0.01), "target": .string("rating")]))
        #expect(throws: StrictJSON.Error.self) { try ParameterGrid.apply(combinations[0], to: .string("x"), context: "c") }
    }

    @Test func refusesEmptyAndOversizedGrids() {
        func refusal(_ values: [String: [JSONValue]]) -> String {
            do {
                try ParameterGrid(values: values).validate(context: "models[0].grid")
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(refusal([:]).contains("field 'models[0].grid': {} lists no field"))
        #expect(refusal(["dimensions": []]).contains("field 'models[0].grid.dimensions': [] has no value"))
        let many = (0..<9).map { JSONValue.number(Double($0)) }
        #expect(refusal(["a": many, "b": many]).contains("81 combinations (at most 64"))
        #expect(refusal(["a": many]) == "accepted")
    }

    @Test func aMissingValueNeverWins() {
        #expect(ParameterGrid.improves(0.6, on: .nan, higherIsBetter: true))
        #expect(!ParameterGrid.improves(.nan, on: 0.6, higherIsBetter: true))
        #expect(ParameterGrid.improves(0.4, on: 0.6, higherIsBetter: false))
        #expect(!ParameterGrid.improves(0.6, on: 0.6, higherIsBetter: true))
    }

    /// Each seed keeps the combination with the best validation metric: its reported test
    /// metrics are those of that combination trained on its own, and the report names it.
    @Test func experimentsKeepTheBestValidatedCombination() throws {
        var training = RunnerFixture.configuration(model: .mlp)
        training.epochs = 1
        training.validation = ValidationConfiguration(fraction: 0.2)
        var configuration = ExperimentConfiguration(
            training: training,
            models: [ExperimentModel(model: .mlp, grid: ParameterGrid(values: ["embeddingDimensions": [.number(2), .number(8)], "hiddenDimensions": [.array([.number(4)])]]))])
        configuration.seeds = [1, 2]
        let result = try ExperimentRunner.run(configuration)
        #expect(result.runs.count == 2)
        for (seed, run) in zip(configuration.seeds, result.runs) {
            var trained: [(value: Double, auc: Double, name: String)] = []
            for candidate in try configuration.candidates(configuration.models[0], seed: seed) {
                let trainer = try Trainer(configuration: candidate.training)
                trainer.logsEvaluations = false
                let evaluation = try trainer.train()
                trained.append((trainer.selectionValue!, evaluation.metrics["auc"]!, ParameterGrid.describe(candidate.combination)))
            }
            let best = trained[1].value > trained[0].value ? trained[1] : trained[0]
            #expect(run.metrics["auc"] == best.auc)
            #expect(result.protocolDescription.contains { $0.hasPrefix("grid of mlp, chosen on validation:") && $0.contains("seed \(seed): \(best.name)") })
        }
    }
}
