import FunnelData
import FunnelNN
import FunnelModels
import FunnelTensor

/// Where early stopping and model selection look: a split of the dataset, or rows carved from
/// the training split — never the test split.
public struct ValidationConfiguration: Codable, Sendable, Equatable {
    /// How rows are carved from the training split.
    public enum Carving: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// A seeded random share of the rows.
        case random
        /// The latest share of the rows by a time column (ties broken by row order).
        case time
    }

    /// A split used as it is (`nil`: carve from the training split).
    public var split: String?
    /// The share of the training rows carved off, in (0, 1).
    public var fraction = 0.1
    public var carving = Carving.random
    /// The time column of `time` carving (default: the dataset's day column).
    public var timeColumn: String?
    /// Seeds `random` carving; the same for every model and seed of an experiment, so all
    /// runs are selected on the same rows.
    public var seed: UInt64 = 0
    /// Seeds `random` carving with the run's own seed instead of `seed`: each seed of an
    /// experiment is then selected on its own rows (seeded splits; the Coat table).
    public var followsRunSeed = false

    public init(split: String? = nil, fraction: Double = 0.1, carving: Carving = .random) {
        self.split = split
        self.fraction = fraction
        self.carving = carving
    }

    /// Fields left out keep their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        split = try container.decodeIfPresent(String.self, forKey: .split)
        fraction = try container.decodeIfPresent(Double.self, forKey: .fraction) ?? fraction
        carving = try container.decodeIfPresent(Carving.self, forKey: .carving) ?? carving
        timeColumn = try container.decodeIfPresent(String.self, forKey: .timeColumn)
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        followsRunSeed = try container.decodeIfPresent(Bool.self, forKey: .followsRunSeed) ?? followsRunSeed
    }

    /// The configuration a run with `runSeed` carves by.
    func resolved(runSeed: UInt64) -> ValidationConfiguration {
        var resolved = self
        if followsRunSeed { resolved.seed = runSeed }
        return resolved
    }
}

/// The validation rows of a run, resolved against its dataset.
struct ValidationSplit {
    /// The split evaluated.
    let split: String
    /// The rows of `split` evaluated (`nil`: all), and excluded from training when carved.
    let rows: [Bool]?
    /// How reports name it.
    let description: String

    init(_ configuration: ValidationConfiguration, dataset: Dataset, trainSplit: String) throws {
        if let split = configuration.split {
            _ = try dataset.split(split)
            guard split != trainSplit else {
                throw StrictJSON.Error(description: "field 'validation.split': '\(split)' is the training split; carve rows with 'fraction' instead")
            }
            self.split = split
            rows = nil
            description = "validation: split '\(split)'"
            return
        }
        guard configuration.fraction > 0, configuration.fraction < 1 else {
            throw StrictJSON.Error(description: "field 'validation.fraction': \(configuration.fraction) is outside (0, 1)")
        }
        let table = try dataset.split(trainSplit)
        let count = table.rowCount
        let carved = Int((Double(count) * configuration.fraction).rounded())
        var rows = [Bool](repeating: false, count: count)
        switch configuration.carving {
        case .random:
            var random = RandomGenerator(seed: configuration.seed ^ 0x7A11_DA7E)
            var order = Array(0..<count)
            for index in stride(from: count - 1, to: 0, by: -1) { order.swapAt(index, Int(random.next() % UInt64(index + 1))) }
            for row in order.prefix(carved) { rows[row] = true }
            description = "validation: \(carved) rows (\(configuration.fraction * 100)%) of split '\(trainSplit)' drawn at random (seed \(configuration.seed)), left out of training"
        case .time:
            let name = configuration.timeColumn ?? dataset.schema.columns.first { $0.role == .day }?.name
            guard let name, let column = table.column(name) else {
                throw StrictJSON.Error(description: "field 'validation.timeColumn': \(configuration.timeColumn.map { "no column '\($0)'" } ?? "the dataset has no day column; name one") in split '\(trainSplit)'")
            }
            let times: [Double]
            if let keys = column.keys {
                times = (0..<count).map { Double(keys[$0]) }
            } else if let values = column.values.integers {
                times = (0..<count).map { Double(values[$0]) }
            } else if let values = column.values.floats {
                times = (0..<count).map { Double(values[$0]) }
            } else {
                throw StrictJSON.Error(description: "field 'validation.timeColumn': '\(name)' holds no times")
            }
            let order = (0..<count).sorted { times[$0] != times[$1] ? times[$0] < times[$1] : $0 < $1 }
            for row in order.suffix(carved) { rows[row] = true }
            description = "validation: the latest \(carved) rows (\(configuration.fraction * 100)%) of split '\(trainSplit)' by '\(name)', left out of training"
        }
        split = trainSplit
        self.rows = rows
    }
}
