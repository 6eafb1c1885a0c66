import Foundation
import FunnelData
import FunnelMetrics
import FunnelModels
import FunnelNN
import FunnelTensor

/// Replays a split in time order, chunk by chunk: predict, score, then learn (adaptation.md
/// §2.4; ReLoop2, Zhu et al., KDD 2023, arXiv 2306.08808).
///
/// Every chunk is predicted by the model (and compensated by the error memory) as it stands
/// before the chunk's labels exist; only then are the chunk's keys, labels and base predictions
/// written into the memory and the chunk learnt by the incremental steps. Metrics come per
/// chunk, per day and over every replayed row; a shift day gives the recovery figure.
public enum StreamingReplay {
    /// What one replay did, for tests: `predicted` and `written` chunks' row indices in order.
    struct Trace {
        var events: [(kind: String, rows: [Int32])] = []
    }

    /// Replays `replay.split` (default the evaluation split) of `dataset` with `model`.
    /// - Throws: a refusal naming the `replay` field at fault (start day outside the split's
    ///   days, an unknown hidden layer, a model without a binary task or a dataset without a
    ///   day column).
    public static func run(
        model: any FunnelModel, dataset: Dataset, training: TrainingConfiguration, replay: ReplayConfiguration
    ) throws -> ReplayResult {
        var trace = Trace()
        return try run(model: model, dataset: dataset, training: training, replay: replay, trace: &trace)
    }

    static func run(
        model: any FunnelModel, dataset: Dataset, training: TrainingConfiguration, replay: ReplayConfiguration, trace: inout Trace
    ) throws -> ReplayResult {
        try replay.validate(context: "replay")
        let plan = try ReplayPlan(model: model, dataset: dataset, training: training, replay: replay)
        let recording = InputRecording()
        let layer = try plan.memoryLayer(model: model, replay: replay)
        layer?.inputRecording = recording
        defer { layer?.inputRecording = nil }
        var memory = layer.map { replay.reLoop!.makeMemory(dimensions: $0.inputDimensions) }
        let optimizer = replay.incrementalSteps > 0
            ? OptimizerGroups(Adam(
                namedParameters: model.namedParameters(),
                learningRate: replay.incrementalLearningRate ?? training.optimizer.learningRate))
            : nil
        let step = model.trainingStep ?? StandardTrainingStep()
        var scored = ReplayScores()
        var servingSeconds = 0.0
        var memorySeconds = 0.0
        for (index, chunk) in plan.chunks.enumerated() {
            let batch = plan.batcher.batch(ArraySlice(chunk))
            model.train(false)
            let start = DispatchTime.now().uptimeNanoseconds
            let outputs = try withoutGradients { try model(batch) }
            // Float32 probabilities, as the memory stores and compensates them: λ = 0 then reproduces
            // the base model exactly (§2.8).
            let base = try BinaryTaskScorer.logProbabilities(plan.task, outputs: outputs, rows: batch.size).map {
                Double(Float(exp($0)))
            }
            servingSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            trace.events.append(("predicted", chunk))
            var predicted = base
            let labels = try batch.tensor(plan.task.label).scalars
            if memory != nil, let compensation = replay.reLoop?.compensation {
                let keys = try plan.keys(recording, rows: batch.size)
                let memoryStart = DispatchTime.now().uptimeNanoseconds
                let basePredictions = base.map(Float.init)
                let compensated = compensation.compensate(basePredictions: basePredictions, readOuts: memory!.readOuts(queries: keys))
                predicted = compensated.map(Double.init)
                // Written in place: a copy of the memory would copy its tables on every chunk.
                memory!.write(keys: keys, labels: labels, basePredictions: basePredictions)
                memorySeconds += Double(DispatchTime.now().uptimeNanoseconds - memoryStart) / 1e9
                trace.events.append(("written", chunk))
            }
            try scored.add(predicted, batch: batch, chunk: index, plan: plan)
            if let optimizer, replay.incrementalSteps > 0 {
                model.train(true)
                for stepIndex in 0..<replay.incrementalSteps {
                    var random = RandomGenerator(seed: training.seed, epoch: 1_000_000 + index, step: stepIndex)
                    let layerSeed = random.next()
                    for randomLayer in model.randomLayers() { randomLayer.reseed(layerSeed) }
                    let trainingBatch = plan.batcher.batch(ArraySlice(chunk), random: &random)
                    _ = try step.train(model, on: trainingBatch, optimizer: optimizer, clipNorm: training.optimizer.clipNorm)
                }
                model.train(false)
                trace.events.append(("trained", chunk))
                if replay.resetMemoryOnUpdate { memory?.reset() }
            }
        }
        return try scored.result(
            plan: plan, replay: replay, memoryBytes: memory?.byteSize ?? 0,
            servingSecondsPerSample: servingSeconds / Double(Swift.max(plan.rowCount, 1)),
            memorySecondsPerSample: memorySeconds / Double(Swift.max(plan.rowCount, 1)))
    }
}
