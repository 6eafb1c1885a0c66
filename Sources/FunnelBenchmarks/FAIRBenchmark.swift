import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor

#if os(Linux)
/// glibc's `malloc_trim(size_t)`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
#endif

/// `funnel bench fair`: the registry model `fair` (sequential.md §4) trained on planted
/// sequences (``PlantedSequences``, 10,000 items, 50 per history) with random unique semantic
/// IDs of M digits × 256 codes, at the paper's sizes (D 448, 2 blocks, 4 heads, FFN 1024,
/// M = 32 → 1,600 tokens per sequence, the spec's dropout) and the experiments' (D 64, FFN 256,
/// M = 4 → 200 tokens); Adam lr 3e-4 and the trainer's standard step.
///
/// Reports, per size, variant and batch: training tokens/s and sequences/s (median, min, max of
/// one-batch timed segments after warm-up) and peak resident memory; a least-squares memory
/// slope per sequence at the paper's size, with the largest batch that fits the memory budget
/// and the predicted peak at the paper's batch 256; the per-sequence sizes of the tensors that
/// dominate (from their shapes); and the decoders' cost per user on the trained models
/// (``FAIRBenchmark/measureDecoding(_:setting:codes:dataset:users:warmUsers:beamWidths:options:)``).
///
/// A run whose predicted peak exceeds `memoryLimitMebibytes` is skipped and listed, never tried.
public enum FAIRBenchmark {
    /// What is trained.
    public enum Variant: String, Codable, Sendable, CaseIterable {
        /// Focused attention, multi-token heads, noise-robustness and mutual-information terms.
        case fair
        /// Standard causal attention, multi-token heads, no auxiliary terms (TIGER/RPG-like).
        case standard
        /// FAIR's blocks with next-token prediction over the flattened codes (TIGER-like).
        case autoregressive
    }

    /// One model size: M digits (tokens per item), width D, feed-forward width.
    public struct Size: Codable, Sendable, Equatable {
        public var name: String
        public var digits: Int
        public var dimensions: Int
        public var feedForwardDimensions: Int

        public init(name: String, digits: Int, dimensions: Int, feedForwardDimensions: Int) {
            self.name = name
            self.digits = digits
            self.dimensions = dimensions
            self.feedForwardDimensions = feedForwardDimensions
        }
    }

    public struct Options: Sendable {
        public var threads = 2
        public var itemCount = 10_000
        /// n: history items per sequence.
        public var length = 50
        /// Codes per digit (K).
        public var codeSize = 256
        public var blocks = 2
        public var heads = 4
        public var learningRate: Float = 3e-4
        public var seed: UInt64 = 7
        /// The paper's size and the batches measured there (ascending, for the memory fit).
        public var paper = Size(name: "paper", digits: 32, dimensions: 448, feedForwardDimensions: 1024)
        public var paperBatches = [1, 2, 4, 8]
        /// The batch whose peak is predicted from the fit (the paper's).
        public var paperBatch = 256
        /// The experiments' size and batch (reduced to what the memory limit allows).
        public var experiment = Size(name: "experiment", digits: 4, dimensions: 64, feedForwardDimensions: 256)
        public var experimentBatch = 256
        public var warmupBatches = 1
        /// Timed one-batch segments per measurement (their median is the upper middle one when
        /// the count is even).
        public var timedBatches = 2
        /// Users per decoding batch at each size.
        public var paperDecodeUsers = 8
        public var experimentDecodeUsers = 64
        public var beamWidths = [20, 50]
        /// The autoregressive variant's beam width.
        public var autoregressiveBeamWidth = 20
        /// The machine the largest fitting batch is reported for.
        public var memoryBudgetMebibytes = 24.0 * 1024
        /// Runs predicted to peak above this are skipped.
        public var memoryLimitMebibytes = 16.0 * 1024
        /// Progress lines go here.
        public var log: @Sendable (String) -> Void = { _ in }

        public init() {}

        /// Throws a ``BenchmarkOptionError`` naming the first option the run cannot use.
        func validate() throws {
            try BenchmarkOptionError.require("--threads", threads, atLeast: 1)
            try BenchmarkOptionError.require("--items", itemCount, atLeast: 1)
            try BenchmarkOptionError.require("--segments", timedBatches, atLeast: 1)
            try BenchmarkOptionError.require("--warmup", warmupBatches, atLeast: 0)
            if paperBatches.isEmpty { throw BenchmarkOptionError("--paper-batches", expected: "at least one batch size", given: "none") }
            for size in [paper, experiment] {
                // Every item needs a tuple of its own: K^M ≥ N.
                if pow(Double(codeSize), Double(size.digits)) < Double(itemCount) {
                    throw BenchmarkOptionError(
                        size.name == "paper" ? "--paper-digits" : "the \(size.name) size's digits", expected: "enough digits for \(itemCount) items with \(codeSize) codes each", given: size.digits)
                }
            }
        }
    }

    /// Every measurement, in the order taken.
    public static func run(_ options: Options) throws -> Report {
        try options.validate()
        Compute.threadCount = options.threads
        var generator = RandomGenerator(seed: options.seed)
        let process = PlantedSequences.Process(itemCount: options.itemCount, generator: &generator)
        let largest = max(options.paperBatches.max()!, options.experimentBatch, options.paperDecodeUsers, options.experimentDecodeUsers)
        let sequences = process.draw(
            count: largest * (options.warmupBatches + options.timedBatches) + 1, length: options.length, generator: &generator)
        let dataset = try LeaveOneOutSequences.catalogue(itemCount: options.itemCount, name: "planted-sequences")
        var report = Report(threads: options.threads, itemCount: options.itemCount, length: options.length)

        // The paper's size: both variants at the small batches, the fit, the tensors' sizes.
        let paperCodes = randomCodes(options: options, digits: options.paper.digits)
        var trainedPaper: FAIR?
        for variant in [Variant.fair, .standard] {
            var points: [TrainingResult] = []
            for batchSize in options.paperBatches {
                let predicted = predictedPeak(points: points, batchSize: batchSize, size: options.paper, variant: variant, options: options)
                guard predicted <= options.memoryLimitMebibytes else {
                    report.skipped.append(String(
                        format: "%@ %@ batch %d: predicted %.0f MiB > limit %.0f MiB", options.paper.name, variant.rawValue,
                        batchSize, predicted, options.memoryLimitMebibytes))
                    options.log(report.skipped.last!)
                    continue
                }
                let (result, model) = try measureTraining(
                    variant: variant, size: options.paper, batchSize: batchSize, sequences: sequences, codes: paperCodes,
                    dataset: dataset, options: options)
                points.append(result)
                if variant == .fair { trainedPaper = model }
            }
            report.training += points
            if let fit = MemoryFit(points: points, options: options) { report.memoryFits.append(fit) }
        }
        report.tensors = tensorSizes(size: options.paper, options: options)

        // The experiments' size at its batch (or the largest that the limit allows).
        let experimentCodes = randomCodes(options: options, digits: options.experiment.digits)
        var trainedExperiment: [Variant: FAIR] = [:]
        for variant in Variant.allCases {
            var batchSize = options.experimentBatch
            while batchSize > 1,
                  predictedPeak(points: [], batchSize: batchSize, size: options.experiment, variant: variant, options: options)
                    > options.memoryLimitMebibytes {
                batchSize /= 2
            }
            if batchSize != options.experimentBatch {
                report.skipped.append("\(options.experiment.name) \(variant.rawValue) batch \(options.experimentBatch): run at \(batchSize) (memory)")
            }
            let (result, model) = try measureTraining(
                variant: variant, size: options.experiment, batchSize: batchSize, sequences: sequences, codes: experimentCodes,
                dataset: dataset, options: options)
            report.training.append(result)
            trainedExperiment[variant] = model
        }

        // Decoding cost on the trained models.
        let warmUsers = sequences.batch(0..<1, paddingID: Int32(options.itemCount + 1))
        if let trainedPaper {
            try report.decoding += measureDecoding(
                trainedPaper, setting: options.paper, codes: paperCodes, dataset: dataset,
                users: sequences.batch(0..<options.paperDecodeUsers, paddingID: Int32(options.itemCount + 1)),
                warmUsers: warmUsers, beamWidths: options.beamWidths, options: options)
            let (build, graph) = graphBuild(trainedPaper, setting: options.paper, codes: paperCodes)
            report.graphBuilds.append(build)
            report.decoding += measureDecodersAlone(
                codes: paperCodes, graph: graph, setting: options.paper, users: options.experimentDecodeUsers,
                beamWidths: options.beamWidths, options: options)
        }
        let users = sequences.batch(0..<options.experimentDecodeUsers, paddingID: Int32(options.itemCount + 1))
        for variant in [Variant.fair, .autoregressive] {
            guard let model = trainedExperiment[variant] else { continue }
            let widths = variant == .autoregressive ? [options.autoregressiveBeamWidth] : options.beamWidths
            try report.decoding += measureDecoding(
                model, setting: options.experiment, codes: experimentCodes, dataset: dataset, users: users, warmUsers: warmUsers, beamWidths: widths,
                options: options)
            if variant == .fair {
                let (build, graph) = graphBuild(model, setting: options.experiment, codes: experimentCodes)
                report.graphBuilds.append(build)
                report.decoding += measureDecodersAlone(
                    codes: experimentCodes, graph: graph, setting: options.experiment, users: options.experimentDecodeUsers,
                    beamWidths: options.beamWidths, options: options)
            }
        }
        return report
    }

    /// FAIR's configuration for a size and a variant (the spec's defaults otherwise).
    public static func configuration(size: Size, variant: Variant, options: Options) -> FAIRConfiguration {
        var configuration = FAIRConfiguration()
        configuration.dimensions = size.dimensions
        configuration.feedForwardDimensions = size.feedForwardDimensions
        configuration.blocks = options.blocks
        configuration.heads = options.heads
        configuration.maximumLength = options.length
        configuration.interacted = nil
        configuration.evaluation.maskHistory = false
        switch variant {
        case .fair: break
        case .standard: (configuration.focused, configuration.noiseWeight, configuration.mutualInformationWeight) = (false, 0, 0)
        case .autoregressive:
            (configuration.prediction, configuration.noiseWeight, configuration.mutualInformationWeight) = (.autoregressive, 0, 0)
        }
        return configuration
    }

    /// Random unique tuples of `digits` codes in `0 ..< codeSize` for items 1 … N (row 0 zeros).
    static func randomCodes(options: Options, digits: Int) -> SemanticIDs {
        precondition(pow(Double(options.codeSize), Double(digits)) >= Double(options.itemCount), "Funnel: too few tuples for the items")
        var generator = RandomGenerator(seed: options.seed &+ UInt64(digits))
        var seen = Set<[Int32]>()
        var codes = [Int32](repeating: 0, count: digits)
        while seen.count < options.itemCount {
            let tuple = (0..<digits).map { _ in Int32(generator.next() % UInt64(options.codeSize)) }
            if seen.insert(tuple).inserted { codes += tuple }
        }
        return SemanticIDs(
            method: "random", digitSizes: Array(repeating: options.codeSize, count: digits), ordered: false,
            trainedItems: options.itemCount, source: "bench fair", codes: codes)
    }

    /// Trains a fresh model for the warm-up and the timed segments; its figures and the model.
    static func measureTraining(
        variant: Variant, size: Size, batchSize: Int, sequences: PlantedSequences, codes: SemanticIDs, dataset: Dataset,
        options: Options
    ) throws -> (TrainingResult, FAIR) {
        releaseFreeMemory()
        let residentBefore = ResidentMemory.current()
        ResidentMemory.resetPeak()
        let model = try FAIR(
            dataset: dataset, configuration: configuration(size: size, variant: variant, options: options), codes: codes,
            seed: options.seed)
        let optimizer = OptimizerGroups(Adam(namedParameters: model.namedParameters(), learningRate: options.learningRate))
        let randomLayers = model.randomLayers()
        let paddingID = Int32(options.itemCount + 1)
        model.train(true)
        var step = 0
        func trainStep() throws -> Float {
            var random = RandomGenerator(seed: options.seed, epoch: 0, step: step)
            let layerSeed = random.next()
            for layer in randomLayers { layer.reseed(layerSeed) }
            let start = (step * batchSize) % (sequences.count - batchSize + 1)
            step += 1
            let batch = sequences.batch(start..<(start + batchSize), paddingID: paddingID)
            return try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: nil).total.scalar
        }
        let tokens = options.length * size.digits
        options.log("\(size.name) M=\(size.digits) \(variant.rawValue) batch \(batchSize) (\(tokens) tokens/sequence): \(options.warmupBatches) warm-up + \(options.timedBatches) timed batches")
        for _ in 0..<options.warmupBatches { _ = try trainStep() }
        var rates: [Double] = []
        var loss: Float = 0
        for _ in 0..<options.timedBatches {
            let start = DispatchTime.now().uptimeNanoseconds
            loss = try trainStep()
            rates.append(Double(batchSize) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }
        let peak = ResidentMemory.peak()
        let sorted = rates.sorted()
        let result = TrainingResult(
            size: size.name, variant: variant, digits: size.digits, dimensions: size.dimensions, tokensPerSequence: tokens,
            batchSize: batchSize, sequencesPerSecondMedian: sorted[sorted.count / 2], sequencesPerSecondMinimum: sorted.first!,
            sequencesPerSecondMaximum: sorted.last!, peakResidentMebibytes: peak, residentBeforeMebibytes: residentBefore,
            finalLoss: Double(loss))
        options.log(String(
            format: "  %.2f seq/s (%.0f tokens/s), peak %.0f MiB, loss %.3f", result.sequencesPerSecondMedian,
            result.tokensPerSecondMedian, peak, result.finalLoss))
        return (result, model)
    }

    /// Frees the tensor storage pool and returns freed heap pages to the system (glibc's
    /// `malloc_trim`), so that the next peak starts from what is live.
    static func releaseFreeMemory() {
        Tensor.releasePooledStorage()
        #if os(Linux)
        _ = mallocTrim(0)
        #endif
    }
}
