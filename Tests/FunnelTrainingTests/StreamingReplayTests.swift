import Foundation
import FunnelData
import FunnelModels
import FunnelSimulation
import Testing

@testable import FunnelTraining

/// The replay of adaptation.md §2.4: chunks in time order, each predicted before its labels
/// reach the memory or the incremental steps; refusals by field; the recovery figure.
@Suite struct StreamingReplayTests {
    static let world = Result {
        try ScenarioKind.funnel.simulatedDataset(
            users: 400, days: 5, seed: 4, directory: NSTemporaryDirectory() + "funnel-replay-\(UUID().uuidString)")
    }

    static func trainer(_ replay: ReplayConfiguration?, model: ModelKind = .mlp) throws -> Trainer {
        let dataset = try world.get()
        var configuration = TrainingConfiguration(data: dataset.directory, model: model)
        configuration.epochs = 1
        configuration.batchSize = 256
        configuration.threads = 1
        configuration.seed = 2
        configuration.replay = replay
        let trainer = try Trainer(configuration: configuration, dataset: dataset)
        trainer.logsEvaluations = false
        return trainer
    }

    static func sketch(strength: Float = 0.5) -> ReLoopConfiguration {
        var reLoop = ReLoopConfiguration()
        reLoop.arrays = 8
        reLoop.bits = 6
        reLoop.compensation.strength = strength
        return reLoop
    }

    @Test func noChunkIsWrittenOrLearntBeforeItIsPredicted() throws {
        var replay = ReplayConfiguration()
        replay.chunkSize = 300
        replay.reLoop = Self.sketch()
        replay.incrementalSteps = 1
        let trainer = try Self.trainer(nil)
        _ = try trainer.train()
        var trace = StreamingReplay.Trace()
        let result = try StreamingReplay.run(
            model: trainer.model, dataset: trainer.dataset, training: trainer.configuration, replay: replay, trace: &trace)
        var predicted = Set<Int32>()
        var learnt = Set<Int32>()
        for event in trace.events {
            switch event.kind {
            case "predicted":
                // No row is known to the memory or the model before its own prediction.
                #expect(learnt.isDisjoint(with: event.rows))
                #expect(predicted.isDisjoint(with: event.rows), "every row is predicted once")
                predicted.formUnion(event.rows)
            default:
                #expect(Set(event.rows).isSubset(of: predicted), "\(event.kind) before the prediction")
                learnt.formUnion(event.rows)
            }
        }
        #expect(predicted.count == result.chunks.reduce(0) { $0 + $1.rows })
        #expect(trace.events.map(\.kind).prefix(3) == ["predicted", "written", "trained"])
        // Time order: the days of the chunks never go back.
        let days = result.chunks.map(\.firstDay)
        #expect(days == days.sorted())
    }

    @Test func zeroStrengthReplaysTheBaseModelExactly() throws {
        var plain = ReplayConfiguration()
        plain.chunkSize = 500
        var compensated = plain
        compensated.reLoop = Self.sketch(strength: 0)
        let base = try Self.trainer(plain).train()
        let withMemory = try Self.trainer(compensated).train()
        for name in ["replay_auc", "replay_logloss", "replay_truth_auc", "replay_chunk2_auc"] {
            #expect(base.metrics[name] != nil && base.metrics[name] == withMemory.metrics[name], "\(name)")
        }
        var strong = compensated
        strong.reLoop = Self.sketch(strength: 0.9)
        let adapted = try Self.trainer(strong).train()
        #expect(adapted.metrics["replay_logloss"] != base.metrics["replay_logloss"])
        #expect((adapted.metrics["replay_memory_mib"] ?? 0) > 0)
    }

    @Test func replayReportsEveryDayAndTheNamesTheTrainerAnnounced() throws {
        var replay = ReplayConfiguration()
        replay.chunkSize = 400
        let trainer = try Self.trainer(replay)
        let evaluation = try trainer.train()
        let result = try #require(trainer.replayResult)
        #expect(result.days.map(\.firstDay) == [3, 4])
        for name in trainer.metricNames.compared where name.hasPrefix("replay_") {
            #expect(evaluation.metrics[name] != nil, "\(name) announced but not reported")
        }
        #expect(evaluation.metricOrder.contains("replay_day3_auc"))
        #expect(evaluation.protocolDescription.last?.hasPrefix("replay: split 'test' from day 3") == true)
    }

    @Test func badReplaysAreRefusedNamingTheField() throws {
        var zero = ReplayConfiguration()
        zero.chunkSize = 0
        #expect { try Self.trainer(zero) } throws: { "\($0)".contains("replay.chunkSize") }
        var outside = ReplayConfiguration()
        outside.startDay = 40
        #expect { try Self.trainer(outside) } throws: { "\($0)".contains("replay.startDay") && "\($0)".contains("3...4") }
        var layer = ReplayConfiguration()
        layer.reLoop = Self.sketch()
        layer.hiddenLayer = "tower.nowhere"
        #expect { try Self.trainer(layer) } throws: { "\($0)".contains("replay.hiddenLayer") && "\($0)".contains("tower.layers") }
        var metric = ReplayConfiguration()
        metric.recoveryMetric = "gauc"
        #expect { try Self.trainer(metric) } throws: { "\($0)".contains("replay.recoveryMetric") }
    }

    @Test func replayFieldsLeftOutKeepTheirDefaultsAndUnknownOnesAreRefused() throws {
        let json = #"{"data": "d", "model": "mlp", "replay": {"chunkSize": 64, "reLoop": {"memory": "nearest", "compensation": {"strength": 0.2}}}}"#
        let configuration = try TrainingConfiguration.decode(Data(json.utf8))
        let replay = try #require(configuration.replay)
        #expect(replay.chunkSize == 64 && replay.incrementalSteps == 0 && replay.recoveryMetric == "auc")
        #expect(replay.reLoop?.memory == .nearest && replay.reLoop?.arrays == 100)
        #expect(replay.reLoop?.compensation.strength == 0.2 && replay.reLoop?.compensation.temperature == 0.1)
        #expect {
            try TrainingConfiguration.decode(Data(#"{"data": "d", "model": "mlp", "replay": {"chunk": 64}}"#.utf8))
        } throws: { "\($0)".contains("replay.chunk") }
        #expect {
            try TrainingConfiguration.decode(Data(#"{"data": "d", "model": "mlp", "replay": {"reLoop": {"bits": 40}}}"#.utf8)).validate()
        } throws: { "\($0)".contains("replay.reLoop.bits") }
    }

    @Test func recoveryCountsChunksUntilTheMetricIsBack() {
        func window(_ day: Int64, _ auc: Double) -> ReplayResult.Window {
            ReplayResult.Window(firstDay: day, lastDay: day, rows: 10, metrics: ["auc": auc, "logloss": 1 - auc])
        }
        var replay = ReplayConfiguration()
        replay.recoveryTolerance = 0.01
        let chunks = [window(1, 0.70), window(1, 0.72), window(2, 0.60), window(2, 0.65), window(2, 0.705), window(3, 0.71)]
        #expect(ReplayScores.recovery(chunks, shiftDay: 2, replay: replay) == 2)
        replay.recoveryMetric = "logloss"
        #expect(ReplayScores.recovery(chunks, shiftDay: 2, replay: replay) == 2)
        replay.recoveryTolerance = 0
        #expect(ReplayScores.recovery(chunks, shiftDay: 2, replay: replay) == 3)
        #expect(ReplayScores.recovery(Array(chunks.prefix(4)), shiftDay: 2, replay: replay).isNaN, "never back")
        #expect(ReplayScores.recovery(chunks, shiftDay: 1, replay: replay).isNaN, "no chunk before the shift")
    }
}
