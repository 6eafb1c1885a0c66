import Foundation
import FunnelData
import FunnelNN
import FunnelTensor

@testable import FunnelSimulation

/// A temporary folder removed when released.
final class TemporaryFolder {
    let path = NSTemporaryDirectory() + "funnel-simulation-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A logistic model over categorical fields (one weight per id and a bias), trained with Adam:
/// the smallest "model trained on the labels" the bias tests need.
struct LogisticModel {
    let weights: FieldEmbedding
    let bias: Tensor

    init(vocabularySizes: [Int], ids: [Int32], labels: [Float], epochs: Int = 4, seed: UInt64 = 3) {
        var generator = RandomGenerator(seed: seed)
        weights = FieldEmbedding(vocabularySizes: vocabularySizes, dimensions: 1, initializer: .constant(0), generator: &generator)
        bias = Tensor([0], requiresGradient: true)
        let optimizer = Adam(parameters: weights.parameters() + [bias], learningRate: 0.05)
        let fields = vocabularySizes.count
        let rows = labels.count
        let batch = 2_000
        for _ in 0..<epochs {
            for start in stride(from: 0, to: rows, by: batch) {
                let end = Swift.min(start + batch, rows)
                let logits = weights(Array(ids[start * fields..<end * fields])).sum(alongAxes: [1, 2]) + bias
                Losses.binaryCrossEntropy(logits: logits, labels: Tensor(Array(labels[start..<end]))).backward()
                optimizer.step()
            }
        }
    }

    func probabilities(_ ids: [Int32], fields: Int) -> [Float] {
        withoutGradients { (weights(ids).sum(alongAxes: [1, 2]) + bias).sigmoid().scalars }
    }
}

// Column readers and small statistics shared by the scenario tests.
func floats(_ table: Table, _ name: String) -> [Float] { table.column(name)?.values.floats?.array ?? [] }
func ids(_ table: Table, _ name: String) -> [Int32] { table.column(name)?.values.ids?.array ?? [] }
func integers(_ table: Table, _ name: String) -> [Int64] { table.column(name)?.values.integers?.array ?? [] }

func mean(_ values: [Float]) -> Double {
    values.isEmpty ? 0 : values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
}

/// The binary dataset bytes of `scenario` written twice with one seed and once with another.
func writtenBytes(_ scenario: ScenarioKind, users: Int, days: Int, seeds: [UInt64]) throws -> [Data] {
    try seeds.map { seed in
        let folder = try TemporaryFolder()
        try scenario.simulate(users: users, days: days, seed: seed).write(to: folder.path)
        return try Data(contentsOf: URL(fileURLWithPath: Dataset.cachePath(folder.path)))
    }
}
