import Foundation
import FunnelData
import FunnelModels

extension Trainer {
    /// The checks of a configuration against its dataset, before the model is built: the
    /// splits exist, `truthColumn` is a truth column, `groupColumn` a column.
    static func check(_ configuration: TrainingConfiguration, against dataset: Dataset) throws {
        let splits = dataset.splits.keys.sorted().joined(separator: ", ")
        for (field, split) in [("trainSplit", configuration.trainSplit), ("evaluationSplit", configuration.evaluationSplit)]
        where dataset.splits[split] == nil {
            throw StrictJSON.Error(description: "field '\(field)': dataset '\(dataset.schema.name)' has no split '\(split)' (expected one of: \(splits))")
        }
        if let truth = configuration.truthColumn, dataset.schema.column(named: truth)?.role != .truth {
            let truths = dataset.schema.columns.filter { $0.role == .truth }.map(\.name)
            throw StrictJSON.Error(
                description: "field 'truthColumn': '\(truth)' is not a truth column of dataset '\(dataset.schema.name)' "
                    + (truths.isEmpty ? "(it has none; leave the field out)" : "(expected one of: \(truths.joined(separator: ", ")))"))
        }
        if let group = configuration.groupColumn, dataset.schema.resolvedColumn(group) == nil {
            throw StrictJSON.Error(description: "field 'groupColumn': dataset '\(dataset.schema.name)' has no column '\(group)'")
        }
    }

    /// The checks that need the model: early stopping's metric is one its validation
    /// evaluation produces.
    static func check(_ configuration: TrainingConfiguration, model: any FunnelModel, dataset: Dataset) throws {
        if let metric = configuration.earlyStopping?.metric {
            try MetricNames(tasks: model.evaluationTasks, dataset: dataset, groupColumn: configuration.groupColumn)
                .check(metric, field: "earlyStopping.metric")
        }
    }

    /// The metrics the final evaluation (of the evaluation split) produces.
    public var metricNames: MetricNames {
        var names = MetricNames(
            tasks: model.evaluationTasks, dataset: dataset, groupColumn: configuration.groupColumn,
            truthColumn: configuration.truthColumn)
        if let replay = configuration.replay,
            let plan = try? ReplayPlan(model: model, dataset: dataset, training: configuration, replay: replay)
        {
            names.compared += plan.metricNames
            names.all += plan.metricNames
        }
        return names
    }
}

extension Trainer {
    /// The fields a resumed run may change: how long it runs, how often it checkpoints and
    /// evaluates, its threads, and where its checkpoint folder now lies.
    static let resumableFields = ["epochs", "checkpointEvery", "threads", "evaluateEvery", "checkpointDirectory"]

    /// The first field (by path) whose value differs between a checkpoint's run and this one,
    /// other than ``resumableFields``, with both values; `nil` when none does.
    static func changedField(from saved: TrainingConfiguration, to current: TrainingConfiguration) -> String? {
        func tree(_ configuration: TrainingConfiguration) -> Any {
            (try? JSONEncoder().encode(configuration)).flatMap { try? JSONSerialization.jsonObject(with: $0) } ?? [:]
        }
        func text(_ value: Any?) -> String {
            guard let value, !(value is NSNull) else { return "(not set)" }
            if let string = value as? String { return "'\(string)'" }
            return (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]))
                .map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
        func difference(_ old: Any?, _ new: Any?, path: String) -> String? {
            if let old = old as? [String: Any], let new = new as? [String: Any] {
                for key in Set(old.keys).union(new.keys).sorted() where !(path.isEmpty && resumableFields.contains(key)) {
                    if let found = difference(old[key], new[key], path: path.isEmpty ? key : "\(path).\(key)") { return found }
                }
                return nil
            }
            if let old = old as? [Any], let new = new as? [Any], old.count == new.count {
                for index in old.indices {
                    if let found = difference(old[index], new[index], path: "\(path)[\(index)]") { return found }
                }
                return nil
            }
            let (before, after) = (text(old), text(new))
            return before == after ? nil : "field '\(path)' was \(before) in the checkpoint's run and is \(after) now"
        }
        return difference(tree(saved), tree(current), path: "")
    }
}
