import FunnelTensor

/// What a model's loss returns: named per-task terms whose weighted sum is optimised, and the
/// values worth logging.
///
/// A one-task model has one term; a multi-task model names each (ESMM: `ctr`, `ctcvr`), so a
/// multi-task step can take each term's gradient on its own (``MultiTaskTrainingStep``).
/// Logged values stay tensors until the trainer reads them, so a step never waits for a value
/// it will not record.
public struct Objective {
    /// One term: its name, its scalar loss `[]`, and its weight in the total.
    public struct Task {
        public var name: String
        public var loss: Tensor
        public var weight: Float
        /// The rows the loss is a mean over, when they are a subset of the batch's (a CVR loss
        /// over the clicked rows: their count); `nil`: a mean over every row of the batch.
        /// Data-parallel training weights each rank's term by its share of these rows, so
        /// that the step is the single process's.
        public var rows: Int?

        public init(name: String, loss: Tensor, weight: Float = 1, rows: Int? = nil) {
            self.name = name
            self.loss = loss
            self.weight = weight
            self.rows = rows
        }

        /// `weight · loss`, the term's part of the total.
        public var weighted: Tensor { weight == 1 ? loss : weight * loss }
    }

    public let tasks: [Task]
    /// `Σ weight·loss` over the tasks: what a single-step trainer back-propagates.
    public let total: Tensor
    /// Further values to log (weights, counts), scalar tensors.
    public var logs: [String: Tensor]

    public init(tasks: [Task], logs: [String: Tensor] = [:]) {
        precondition(!tasks.isEmpty, "Funnel: an objective needs at least one task")
        self.tasks = tasks
        total = tasks.dropFirst().reduce(tasks[0].weighted) { $0 + $1.weighted }
        self.logs = logs
    }

    /// One unnamed loss (logged as `loss`).
    public init(_ loss: Tensor, logs: [String: Tensor] = [:]) {
        self.init(tasks: [Task(name: "loss", loss: loss)], logs: logs)
    }

    /// Every logged value as a number: `loss` (the total), `<task>_loss` per task (unweighted),
    /// and ``logs``.
    public var loggedValues: [String: Double] {
        var values = logs.mapValues { Double($0.scalar) }
        values["loss"] = Double(total.scalar)
        for task in tasks where task.name != "loss" { values["\(task.name)_loss"] = Double(task.loss.scalar) }
        return values
    }
}
