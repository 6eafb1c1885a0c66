import Foundation
import FunnelData
import FunnelModels
import FunnelSimulation
import FunnelTensor

/// The batch of entire-space.md §4 that every oracle of §4–§8 uses: `o = [1, 1, 0, 0]`,
/// `r = [1, 0, 0, 0]`, `ô = [0.5, 0.25, 0.1, 0.2]`, `r̂ = [0.8, 0.2, 0.3, 0.1]` — as logits.
enum EntireSpaceOracle {
    static var click: Tensor { Tensor([1, 1, 0, 0]) }
    static var conversion: Tensor { Tensor([1, 0, 0, 0]) }
    static var ctr: Tensor { logits([0.5, 0.25, 0.1, 0.2]) }
    static var cvr: Tensor { logits([0.8, 0.2, 0.3, 0.1]) }

    /// `log(p / (1 − p))` as a leaf that records gradients.
    static func logits(_ probabilities: [Double]) -> Tensor {
        Tensor(shape: [probabilities.count], scalars: probabilities.map { Float(Foundation.log($0 / (1 - $0))) }, requiresGradient: true)
    }

    /// A batch holding the oracle's labels under the dataset's label names.
    static var batch: Batch {
        var batch = Batch(rows: [0, 1, 2, 3])
        batch.floats = ["click": click.scalars, "conversion": conversion.scalars]
        return batch
    }

    /// A small simulated funnel dataset for building models (their losses ignore the features).
    static let dataset: Dataset = {
        let path = NSTemporaryDirectory() + "funnel-entire-space-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try! ScenarioKind.funnel.simulate(users: 50, days: 4, seed: 5).write(to: path)
        return try! Dataset.load(path)
    }()
}
