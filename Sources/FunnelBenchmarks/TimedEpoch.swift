import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor

/// The training and inference passes of a model benchmark against a PyTorch reference, as `funnel bench esmm`,
/// `mmoe` and `base` all run it: Adam at a constant rate over every parameter, the trainer's
/// standard step (forward → objective → backward → update), `warmup` untimed batches (buffers,
/// thread pool, page cache, as the references' warm-up), then one timed pass over every batch
/// of epoch 0 in the batcher's order.
struct TimedEpoch {
    let learningRate: Float
    let warmup: Int
    /// A progress line every this many batches.
    let progressEvery: Int

    /// Trains `model` and returns the seconds of the timed pass.
    func train(_ model: any FunnelModel & Module, batcher: Batcher, log: (String) -> Void) throws -> Double {
        let adam = Adam(namedParameters: model.namedParameters(), learningRate: learningRate)
        let optimizer = OptimizerGroups(
            groups: [.init(name: "default", optimizer: adam, baseLearningRate: learningRate, schedule: .constant)])
        let batches = batcher.batches(epoch: 0)
        func step(_ slice: ArraySlice<Int32>) throws {
            _ = try StandardTrainingStep().train(model, on: batcher.batch(slice), optimizer: optimizer, clipNorm: nil)
        }
        for slice in batches.prefix(warmup) { try step(slice) }
        let start = DispatchTime.now()
        for (index, slice) in batches.enumerated() {
            try step(slice)
            if index % progressEvery == progressEvery - 1 { log("  batch \(index + 1)/\(batches.count)") }
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}

extension TimedEpoch {
    /// Inference samples/s over `batches` (gathered beforehand, as the references hold their
    /// tensors in memory): six passes without gradients, the first also the one whose scores
    /// count (`score(batch, true)`), the median of the other five returned.
    static func inferenceRate(_ batches: [Batch], score: (Batch, _ keep: Bool) throws -> Void) throws -> Double {
        let rows = Double(batches.reduce(0) { $0 + $1.size })
        var rates: [Double] = []
        for pass in 0..<6 {
            let start = DispatchTime.now()
            try withoutGradients {
                for batch in batches { try score(batch, pass == 0) }
            }
            if pass > 0 { rates.append(rows / (Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)) }
        }
        return rates.sorted()[rates.count / 2]
    }
}
