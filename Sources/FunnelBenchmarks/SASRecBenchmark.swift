import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor

/// `funnel bench sasrec`: trains the registry model `sasrec` in the configuration of
/// `torch_sasrec.py` (variant `preNorm`: 2 pre-LN blocks, d 64, 2 heads, FFN 256 GELU, dropout
/// 0, final LN, learned positions; 10,000 items, length 50, batch 256, Adam lr 1e-3) on the
/// script's planted sequences (``PlantedSequences``) and reports training sequences/s (warm-up,
/// then timed segments: median, min, max), inference sequences/s scoring every item at the last
/// position, HR@10 / NDCG@10 on the held-out sequences and peak resident memory — optionally
/// beside the PyTorch reference run in the same invocation.
public enum SASRecBenchmark {
    /// The anchor's losses, named as its `--loss`.
    public enum Loss: String, Sendable, Codable, CaseIterable {
        /// Softmax over the positive and 100 negatives shared by the batch (no logQ).
        case sampled100
        /// BCE of the positive against one sampled negative per position.
        case bce1
        /// Softmax cross-entropy over every item.
        case full
    }

    /// One system's figures for one loss.
    public struct Result: Codable, Sendable {
        public var system: String
        public var loss: Loss
        /// Training sequences/s of the timed segments.
        public var trainMedian: Double
        public var trainMinimum: Double
        public var trainMaximum: Double
        /// Held-out sequences/s scoring the full catalogue at the last position.
        public var inference: Double
        public var hitRate10: Double
        public var ndcg10: Double
        public var peakResidentMebibytes: Double
        /// Sequences trained on (warm-up and segments).
        public var trainedSequences: Int
        public var threads: Int
    }

    public struct Options: Sendable {
        public var losses: [Loss] = [.sampled100]
        public var threads = 2
        public var itemCount = 10_000
        public var length = 50
        public var trainSequences = 50_000
        public var testSequences = 5_000
        public var batchSize = 256
        public var warmupBatches = 10
        public var segments = 3
        /// Batches per timed segment (0: the rest of one pass split evenly, as the reference).
        public var segmentBatches = 0
        public var dimensions = 64
        public var seed: UInt64 = 7
        /// `torch_sasrec.py`, to run as the reference in the same invocation (nil: Funnel only).
        public var referenceScript: String?
        /// Progress lines go here.
        public var log: @Sendable (String) -> Void = { _ in }

        public init() {}

        /// Batches per timed segment.
        var batchesPerSegment: Int {
            segmentBatches > 0 ? segmentBatches : (trainSequences / batchSize - warmupBatches) / segments
        }

        /// Throws a ``BenchmarkOptionError`` naming the first option the run cannot use: one
        /// pass over the training sequences must hold the warm-up and every timed segment.
        func validate() throws {
            try BenchmarkOptionError.require("--threads", threads, atLeast: 1)
            // HR@10 ranks the catalogue: it needs ten items at least.
            try BenchmarkOptionError.require("--items", itemCount, atLeast: 10)
            try BenchmarkOptionError.require("--test-sequences", testSequences, atLeast: 1)
            try BenchmarkOptionError.require("--segment-batches", segmentBatches, atLeast: 0)
            let batches = trainSequences / batchSize
            let needed = warmupBatches + segments * max(batchesPerSegment, 1)
            if batchesPerSegment < 1 || needed > batches {
                let segmentsText = segmentBatches > 0 ? "\(segments) segments of \(segmentBatches)" : "\(segments) segments of at least 1"
                throw BenchmarkOptionError(
                    "--train-sequences", expected: "at least \(needed * batchSize) (\(warmupBatches) warm-up batches and \(segmentsText), of \(batchSize) sequences)",
                    given: trainSequences)
            }
        }
    }

    /// Runs, for each loss, Funnel and then the reference (when given); returns every figure.
    public static func run(_ options: Options) throws -> [Result] {
        try ReferenceScript.check(options.referenceScript)
        try options.validate()
        Compute.threadCount = options.threads
        var generator = RandomGenerator(seed: options.seed)
        let process = PlantedSequences.Process(itemCount: options.itemCount, generator: &generator)
        let train = process.draw(count: options.trainSequences, length: options.length, generator: &generator)
        let test = process.draw(count: options.testSequences, length: options.length, generator: &generator)
        var results: [Result] = []
        for loss in options.losses {
            results.append(try runFunnel(loss: loss, train: train, test: test, options: options))
            if let script = options.referenceScript {
                options.log("running PyTorch --loss \(loss.rawValue) …")
                results.append(try runReference(script: script, loss: loss, options: options))
            }
        }
        return results
    }

    /// The anchor's model as a SASRec configuration.
    public static func configuration(loss: Loss, dimensions: Int, length: Int) -> SASRecConfiguration {
        var configuration = SASRecConfiguration()
        configuration.variant = .preNorm
        configuration.dimensions = dimensions
        configuration.heads = 2
        configuration.blocks = 2
        configuration.feedForwardDimensions = 4 * dimensions
        configuration.dropout = 0
        configuration.maximumLength = length
        configuration.interacted = nil
        switch loss {
        case .sampled100:
            configuration.loss = .sampledSoftmax
            configuration.negatives = 100
            configuration.logQCorrection = false
        case .bce1: configuration.loss = .binaryCrossEntropy
        case .full: configuration.loss = .fullSoftmax
        }
        return configuration
    }

    static func runFunnel(loss: Loss, train: PlantedSequences, test: PlantedSequences, options: Options) throws -> Result {
        ResidentMemory.resetPeak()
        let model = try SASRec(
            dataset: LeaveOneOutSequences.catalogue(itemCount: options.itemCount, name: "planted-sequences"),
            configuration: configuration(loss: loss, dimensions: options.dimensions, length: options.length), seed: options.seed)
        let paddingID = Int32(model.itemCount + 1)
        let optimizer = OptimizerGroups(Adam(namedParameters: model.namedParameters(), learningRate: 1e-3))
        let randomLayers = model.randomLayers()
        model.train(true)
        var step = 0
        func trainStep() throws -> Float {
            var random = RandomGenerator(seed: options.seed, epoch: 0, step: step)
            let layerSeed = random.next()
            for layer in randomLayers { layer.reseed(layerSeed) }
            let batch = train.batch((step * options.batchSize)..<((step + 1) * options.batchSize), paddingID: paddingID)
            step += 1
            return try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: nil).total.scalar
        }
        options.log("Funnel sasrec --loss \(loss.rawValue): \(options.warmupBatches) warm-up batches, \(options.segments) × \(options.batchesPerSegment) timed, \(options.threads) threads")
        for _ in 0..<options.warmupBatches { _ = try trainStep() }
        var rates: [Double] = []
        for segment in 0..<options.segments {
            let start = DispatchTime.now().uptimeNanoseconds
            var lossValue: Float = 0
            for _ in 0..<options.batchesPerSegment { lossValue = try trainStep() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(options.batchesPerSegment * options.batchSize) / seconds)
            options.log(String(format: "  segment %d: %.1f seq/s, loss %.4f", segment + 1, rates.last!, lossValue))
        }
        let (inference, hitRate, ndcg) = try evaluate(model, test: test, batchSize: options.batchSize)
        let sorted = rates.sorted()
        return Result(
            system: "Funnel", loss: loss, trainMedian: sorted[sorted.count / 2], trainMinimum: sorted.first!,
            trainMaximum: sorted.last!, inference: inference, hitRate10: hitRate, ndcg10: ndcg,
            peakResidentMebibytes: ResidentMemory.peak(), trainedSequences: step * options.batchSize, threads: options.threads)
    }

    /// Inference sequences/s (``TimedEpoch/inferenceRate(_:score:)``) and HR@10 / NDCG@10 of the
    /// held-out item among all N items (id 0 excluded; a tie does not count against the target,
    /// as the reference's strict `>`).
    static func evaluate(_ model: SASRec, test: PlantedSequences, batchSize: Int) throws -> (Double, Double, Double) {
        model.train(false)
        defer { model.train(true) }
        let paddingID = Int32(model.itemCount + 1)
        let batches = stride(from: 0, to: test.count, by: batchSize).map {
            test.batch($0..<min($0 + batchSize, test.count), paddingID: paddingID)
        }
        var hits = 0.0
        var gain = 0.0
        let rate = try TimedEpoch.inferenceRate(batches) { batch, keep in
            let scores = try model(batch)["catalogue"]!
            guard keep else { return }
            let width = scores.shape[1]
            scores.withUnsafeBufferPointer { values in
                for (row, target) in batch.ids["target"]!.enumerated() {
                    let targetScore = values[row * width + Int(target)]
                    var rank = 0
                    for item in 1..<width where values[row * width + item] > targetScore { rank += 1 }
                    if rank < 10 {
                        hits += 1
                        gain += 1 / log2(Double(rank) + 2)
                    }
                }
            }
        }
        return (rate, hits / Double(test.count), gain / Double(test.count))
    }
}
