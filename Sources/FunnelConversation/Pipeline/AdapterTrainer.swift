import Foundation
import FunnelLanguage
import FunnelNN
import FunnelTensor

/// Fine-tunes LoRA adapters with Funnel's engine for SGPT (supervised, on the expert's
/// successful steps) and ECPO (DPO on the rewritten pairs, reference frozen), with the schedule
/// of ``AdapterTrainingOptions`` (conversational.md §3 stages 1 and 4).
///
/// Each optimizer step accumulates the gradients of `accumulation` examples, each example's
/// loss divided by the group's size (batch 1 × accumulation, as the released runs); the rate
/// follows a linear warm-up then a cosine decay to 0 over all steps. A seeded split holds out
/// the validation examples (at least one example always trains); each epoch visits the rest in
/// a seeded order. The same options, data and thread count give the same adapters.
public enum AdapterTrainer {
    /// What a training run did, per epoch.
    public struct Report: Codable, Sendable, Equatable {
        public var examples: Int
        public var trainingExamples: Int
        public var validationExamples: Int
        /// Examples whose prompt lost tokens to the cutoff.
        public var truncated: Int
        public var optimizerSteps: Int
        public var trainingLoss: [Double] = []
        public var validationLoss: [Double] = []
        /// DPO only: the fraction of training pairs whose implicit reward favoured the chosen
        /// action, per epoch, and the mean reward margin.
        public var rewardAccuracy: [Double] = []
        public var rewardMargin: [Double] = []
        public var seconds: Double = 0
    }

    /// The token ids of one example: the chat prompt of `instruction` and the completion
    /// `output` with its end-of-message token, the prompt cut from the left to the cutoff.
    static func tokens(model: LanguageModel, instruction: String, output: String, cutoff: Int) -> (prompt: [Int32], completion: [Int32], truncated: Bool) {
        var prompt = model.promptTokens(AgentPrompt.messages(instruction))
        let completion = model.tokenizer.encode(output + ChatTemplate.messageEnd, parseSpecial: true)
        let room = max(cutoff - completion.count, 1)
        let truncated = prompt.count > room
        if truncated { prompt = Array(prompt.suffix(room)) }
        return (prompt, completion, truncated)
    }

    /// Indices `0..<count` split into training and validation by a seeded shuffle.
    static func split(count: Int, fraction: Double, seed: UInt64) -> (training: [Int], validation: [Int]) {
        var generator = RandomGenerator(seed: seed)
        let order = Array(0..<count).shuffled(using: &generator)
        let held = min(Int((Double(count) * fraction).rounded(.down)), max(count - 1, 0))
        return (Array(order[held...]).sorted(), Array(order[..<held]).sorted())
    }

    /// Runs `epochs` over the training indices in groups; `loss(index, scale)` builds one
    /// example's scaled loss, backpropagates it and returns its unscaled value.
    static func optimise(
        training: [Int], options: AdapterTrainingOptions, optimizer: Optimizer, module: Module,
        progress: (String) -> Void, loss: (Int, Float) throws -> Double, endOfEpoch: (Int, Double) throws -> Void
    ) throws -> Int {
        let groupsPerEpoch = (training.count + options.accumulation - 1) / options.accumulation
        let total = groupsPerEpoch * options.epochs
        let schedule = LearningRateSchedule.warmupCosine(
            warmupSteps: max(Int((Double(total) * options.warmupRatio).rounded(.up)), 1), totalSteps: total, minimumFactor: 0)
        var step = 0
        for epoch in 0..<options.epochs {
            var generator = RandomGenerator(seed: options.seed &+ 1 &+ UInt64(epoch))
            let order = training.shuffled(using: &generator)
            var sum = 0.0
            for start in stride(from: 0, to: order.count, by: options.accumulation) {
                let group = order[start..<min(start + options.accumulation, order.count)]
                module.zeroGradients()
                for index in group { sum += try loss(index, 1 / Float(group.count)) }
                optimizer.learningRate = schedule.learningRate(base: options.learningRate, step: step)
                optimizer.step()
                step += 1
                progress("epoch \(epoch + 1)/\(options.epochs), step \(step)/\(total)")
            }
            try endOfEpoch(epoch, sum / Double(max(order.count, 1)))
        }
        return step
    }

    /// SGPT: supervised fine-tuning of fresh adapters over `base` on `records`.
    public static func supervised(
        base: LanguageModel, records: [SupervisedRecord], options: AdapterTrainingOptions, progress: (String) -> Void = { _ in }
    ) throws -> (adapter: LlamaAdapterModel, report: Report) {
        let start = DispatchTime.now().uptimeNanoseconds
        let adapter = LlamaAdapterModel(model: base.model, rank: options.rank, alpha: options.alpha, seed: options.seed)
        let tuning = SupervisedFineTuning(model: adapter, learningRate: options.learningRate)
        let examples = records.map { tokens(model: base, instruction: $0.instruction, output: $0.output, cutoff: options.cutoffTokens) }
        let (training, validation) = split(count: examples.count, fraction: options.validationFraction, seed: options.seed)
        var report = Report(
            examples: examples.count, trainingExamples: training.count, validationExamples: validation.count,
            truncated: examples.filter(\.truncated).count, optimizerSteps: 0)
        func example(_ index: Int) -> SupervisedFineTuning.Example {
            SupervisedFineTuning.Example(prompt: examples[index].prompt, completion: examples[index].completion)
        }
        report.optimizerSteps = try optimise(
            training: training, options: options, optimizer: tuning.optimizer, module: adapter, progress: progress,
            loss: { index, scale in
                let loss = try tuning.loss([example(index)])
                (loss * scale).backward()
                return Double(loss.scalar)
            },
            endOfEpoch: { _, trainingLoss in
                report.trainingLoss.append(trainingLoss)
                if !validation.isEmpty {
                    let total = try validation.reduce(0.0) { $0 + Double(try tuning.loss([example($1)]).scalar) }
                    report.validationLoss.append(total / Double(validation.count))
                }
            })
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (adapter, report)
    }

    /// ECPO: DPO of fresh adapters over `reference`'s weights against `reference` itself
    /// (policy and reference both start from the SGPT model, §3 stage 4), on `records`.
    public static func preference(
        reference: LanguageModel, records: [PreferenceRecord], options: AdapterTrainingOptions, progress: (String) -> Void = { _ in }
    ) throws -> (adapter: LlamaAdapterModel, report: Report) {
        let start = DispatchTime.now().uptimeNanoseconds
        let adapter = LlamaAdapterModel(model: reference.model, rank: options.rank, alpha: options.alpha, seed: options.seed)
        let training = DirectPreferenceTraining(
            policy: adapter, reference: reference.model, beta: options.beta, learningRate: options.learningRate)
        let pairs = records.map { record -> (pair: DirectPreferenceTraining.Pair, truncated: Bool) in
            let chosen = tokens(model: reference, instruction: record.instruction, output: record.chosen, cutoff: options.cutoffTokens)
            let rejected = tokens(model: reference, instruction: record.instruction, output: record.rejected, cutoff: options.cutoffTokens)
            let prompt = chosen.prompt.count <= rejected.prompt.count ? chosen.prompt : rejected.prompt
            return (DirectPreferenceTraining.Pair(prompt: prompt, chosen: chosen.completion, rejected: rejected.completion),
                    chosen.truncated || rejected.truncated)
        }
        let (trainingIndices, validation) = split(count: pairs.count, fraction: options.validationFraction, seed: options.seed)
        var report = Report(
            examples: pairs.count, trainingExamples: trainingIndices.count, validationExamples: validation.count,
            truncated: pairs.filter(\.truncated).count, optimizerSteps: 0)
        var correct = 0.0
        var margin = 0.0
        report.optimizerSteps = try optimise(
            training: trainingIndices, options: options, optimizer: training.optimizer, module: adapter, progress: progress,
            loss: { index, scale in
                let (loss, evaluation) = try training.loss([pairs[index].pair])
                (loss * scale).backward()
                correct += evaluation.accuracy
                margin += evaluation.margin
                return evaluation.loss
            },
            endOfEpoch: { _, trainingLoss in
                report.trainingLoss.append(trainingLoss)
                report.rewardAccuracy.append(correct / Double(max(trainingIndices.count, 1)))
                report.rewardMargin.append(margin / Double(max(trainingIndices.count, 1)))
                (correct, margin) = (0, 0)
                if !validation.isEmpty {
                    let total = try validation.reduce(0.0) { $0 + (try training.loss([pairs[$1].pair]).evaluation.loss) }
                    report.validationLoss.append(total / Double(validation.count))
                }
            })
        report.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (adapter, report)
    }
}
