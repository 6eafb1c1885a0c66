import Foundation
import FunnelTensor
import FunnelModels
import FunnelTraining
import Testing

/// A seeded mutation fuzz of the training, experiment and learning-curve configuration decoders: texts made
/// from the example files and built-in configurations by byte flips, insertions, deletions,
/// splices and number/string substitutions. Every input must decode and validate or throw —
/// never stop the process.
@Suite struct ConfigurationFuzzTests {
    static let inputs = 100_000

    /// The example configurations and a few built-in ones.
    static func seeds() throws -> [[UInt8]] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let examples = root.appendingPathComponent("Examples")
        var seeds = try FileManager.default.contentsOfDirectory(atPath: examples.path).sorted()
            .filter { $0.hasSuffix(".json") }
            .map { [UInt8](try Data(contentsOf: examples.appendingPathComponent($0))) }
        var training = TrainingConfiguration(data: "d", model: .usd)
        training.validation = ValidationConfiguration(fraction: 0.2, carving: .time)
        training.earlyStopping = EarlyStopping()
        training.optimizer.groups = [ParameterGroupConfiguration(name: "e", parameters: ["*embedding*"], kind: .adagrad, learningRate: 0.01)]
        training.optimizer.schedule = .warmupCosine(warmupSteps: 10, totalSteps: 0, minimumFactor: 0.1)
        training.modelConfiguration = .object(["base": .object(["heads": .number(2)])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        seeds.append([UInt8](try encoder.encode(training)))
        var experiment = ExperimentConfiguration(training: training, models: [ExperimentModel(model: .mlp), ExperimentModel(name: "v", model: .esmm)])
        experiment.metrics = ["auc"]
        seeds.append([UInt8](try encoder.encode(experiment)))
        #expect(seeds.count >= 6)
        return seeds
    }

    static let tokens: [[UInt8]] = [
        "-1", "0", "1e39", "-1e39", "1.5", "99999999999999999999", "-0", "1e-50", "null", "true", "\"\"", "[]", "{}",
        "\"x\"", "[[[[[[", "}", "]", ",", ":", "\"\\u0000\"", "\"\\ud800\"", "\"mlp\"", "\"usd\"", "\"adagrad\"", "\"time\"", "\"sum\"",
        "\"auc\"", "\"epochs\": 1, \"epochs\": 2", "\u{FEFF}", "\"é\"",
    ].map { Array($0.utf8) }

    static func mutate(_ seed: [UInt8], _ random: inout RandomGenerator) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + random.below(4)) {
            let at = random.below(bytes.count + 1)
            switch random.below(7) {
            case 0 where !bytes.isEmpty: bytes[Swift.min(at, bytes.count - 1)] ^= UInt8(1 << random.below(8))
            case 1: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            case 2 where !bytes.isEmpty: bytes.removeSubrange(Swift.min(at, bytes.count - 1)..<Swift.min(bytes.count, at + 1 + random.below(16)))
            case 3: bytes.insert(contentsOf: tokens[random.below(tokens.count)], at: at)
            case 4 where !bytes.isEmpty:
                // Replace a number or a string value by a token.
                let start = Swift.min(at, bytes.count - 1)
                if let index = bytes[start...].firstIndex(where: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "\"") }) {
                    var end = index + 1
                    while end < bytes.count, !",}]\n".utf8.contains(bytes[end]) { end += 1 }
                    bytes.replaceSubrange(index..<end, with: tokens[random.below(tokens.count)])
                }
            case 5 where bytes.count > 2:
                let from = random.below(bytes.count)
                let slice = bytes[from..<Swift.min(bytes.count, from + 1 + random.below(64))]
                bytes.insert(contentsOf: Array(slice), at: at)
            default: bytes = Array(bytes.prefix(at))
            }
        }
        return bytes
    }

    @Test func mutatedConfigurationsNeverCrash() throws {
        let seeds = try Self.seeds()
        var random = RandomGenerator(seed: 13)
        var counts = (training: 0, experiment: 0, curve: 0, accepted: 0, refused: 0)
        let start = Date()
        for index in 0..<Self.inputs {
            let seed = seeds[index % seeds.count]
            let data = Data(Self.mutate(seed, &random))
            do {
                if seed.count > 0, String(decoding: seed, as: UTF8.self).contains("\"sizes\"") {
                    counts.curve += 1
                    _ = try LearningCurveConfiguration.decode(data)
                } else if seed.count > 0, String(decoding: seed, as: UTF8.self).contains("\"training\"") {
                    counts.experiment += 1
                    try ExperimentConfiguration.decode(data).validate()
                } else {
                    counts.training += 1
                    try TrainingConfiguration.decode(data).validate()
                }
                counts.accepted += 1
            } catch {
                #expect(!"\(error)".isEmpty)
                counts.refused += 1
            }
        }
        print("configuration fuzz: \(Self.inputs) inputs (\(counts.training) training, \(counts.experiment) experiment, \(counts.curve) curve): \(counts.accepted) accepted, \(counts.refused) refused, no crash, \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        #expect(counts.accepted > 0 && counts.refused > 0)
    }
}

extension RandomGenerator {
    /// A uniform integer in `0..<bound` (0 for an empty range).
    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
}
