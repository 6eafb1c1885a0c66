import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor

/// The rows a replay visits, in time order and cut into chunks, and what it scores them by.
struct ReplayPlan {
    let task: EvaluationTask
    let split: String
    let dayColumn: String
    /// The day of every row of the split.
    let days: [Int64]
    /// Row indices of the split from the start day on, by (day, row), cut into chunks.
    let chunks: [[Int32]]
    let batcher: Batcher
    let truthColumn: String?
    let groupColumn: String?
    let startDay: Int64

    var rowCount: Int { chunks.reduce(0) { $0 + $1.count } }

    init(model: any FunnelModel, dataset: Dataset, training: TrainingConfiguration, replay: ReplayConfiguration) throws {
        guard let task = model.evaluationTasks.first, task.kind == .binary else {
            throw StrictJSON.Error(description: "field 'replay': the model's first evaluation task is not binary; a replay scores probabilities against a 0/1 label")
        }
        self.task = task
        split = replay.split ?? training.evaluationSplit
        let table = try dataset.split(split)
        guard let day = dataset.schema.columns.first(where: { $0.role == .day })?.name,
            let values = table.column(day)?.values.integers
        else {
            throw StrictJSON.Error(description: "field 'replay': dataset '\(dataset.schema.name)' has no day column to replay in time order")
        }
        dayColumn = day
        let days = (0..<values.count).map { values[$0] }
        self.days = days
        guard let first = days.min(), let last = days.max() else {
            throw StrictJSON.Error(description: "field 'replay.split': split '\(split)' has no rows")
        }
        let start = replay.startDay ?? first
        guard (first...last).contains(start) else {
            throw StrictJSON.Error(description: "field 'replay.startDay': day \(start) lies outside split '\(split)' (days \(first)...\(last))")
        }
        startDay = start
        let ordered = days.indices.filter { days[$0] >= start }.sorted { (days[$0], $0) < (days[$1], $1) }.map(Int32.init)
        let chunkSize = replay.chunkSize
        chunks = stride(from: 0, to: ordered.count, by: chunkSize).map {
            Array(ordered[$0..<Swift.min($0 + chunkSize, ordered.count)])
        }
        truthColumn = BinaryTaskScorer.defaultTruthColumn(of: task, in: dataset)
        groupColumn = training.groupColumn ?? dataset.schema.columns.first { $0.role == .user }?.name
        let extra = Set([task.label, day] + [truthColumn, groupColumn, task.rowsWhere].compactMap { $0 })
        batcher = try model.requirements.batcher(
            dataset: dataset, split: split, batchSize: replay.chunkSize, training: true, seed: training.seed, extraColumns: extra)
    }

    /// The compared names a replay of this plan reports (``ReplayResult/comparedNames``).
    var metricNames: [String] {
        let kinds = ["auc"] + (groupColumn == nil ? [] : ["gauc"]) + ["logloss"] + (truthColumn == nil ? [] : ["truth_auc"])
        let replayed = Array(Set(days.filter { $0 >= startDay })).sorted()
        return kinds.map { "replay_\($0)" } + ReplayResult.summaryNames
            + replayed.flatMap { day in kinds.map { "replay_day\(day)_\($0)" } }
    }

    /// The `Linear` layer whose input keys the memory (`nil` without a memory).
    func memoryLayer(model: any FunnelModel, replay: ReplayConfiguration) throws -> Linear? {
        guard replay.reLoop != nil else { return nil }
        let layers = model.namedModules().compactMap { entry in (entry.module as? Linear).map { (entry.name, $0) } }
        if let name = replay.hiddenLayer {
            guard let layer = layers.first(where: { $0.0 == name })?.1 else {
                throw StrictJSON.Error(description: "field 'replay.hiddenLayer': the model has no Linear layer '\(name)' (its Linear layers: \(layers.map(\.0).joined(separator: ", ")))")
            }
            return layer
        }
        guard let last = layers.last?.1 else {
            throw StrictJSON.Error(description: "field 'replay.hiddenLayer': the model has no Linear layer whose input could key the memory")
        }
        return last
    }

    /// The recorded keys of a chunk, row-major `[rows × width]`.
    func keys(_ recording: InputRecording, rows: Int) throws -> [Float] {
        guard let input = recording.latest, input.rank == 2, input.shape[0] == rows else {
            throw StrictJSON.Error(description: "field 'replay.hiddenLayer': the layer's input is not one [rows, width] matrix per batch (got \(recording.latest.map { "\($0.shape)" } ?? "nothing")); name another layer")
        }
        return input.scalars
    }
}
