import FunnelData
import FunnelNN
import FunnelTensor

/// One optimisation step on one batch: the seam a model or a multi-task optimizer replaces
/// without touching the trainer. The trainer has already put the model in training mode and
/// reseeded its random layers for this step.
public protocol TrainingStep {
    /// Trains `model` on `batch` and returns the objective it computed (for the logs).
    func train(_ model: any FunnelModel, on batch: Batch, optimizer: OptimizerGroups, clipNorm: Float?) throws -> Objective
}

/// The default step: forward → objective → backward of the total → clip → step.
public struct StandardTrainingStep: TrainingStep {
    public init() {}

    public func train(_ model: any FunnelModel, on batch: Batch, optimizer: OptimizerGroups, clipNorm: Float?) throws -> Objective {
        let objective = try model.objective(try model(batch), batch: batch)
        objective.total.backward()
        if let clipNorm { optimizer.clipGradientNorm(clipNorm) }
        optimizer.step()
        return objective
    }
}

/// The multi-task step: forward once, one backward pass per task of the objective (each task's
/// weighted term), and the per-task gradients handed to a ``MultiTaskUpdate`` (the sum by
/// default; PUB's bargaining weights plug in there).
public struct MultiTaskTrainingStep: TrainingStep {
    public let update: any MultiTaskUpdate

    public init(update: any MultiTaskUpdate = SummedTaskUpdate()) {
        self.update = update
    }

    public func train(_ model: any FunnelModel, on batch: Batch, optimizer: OptimizerGroups, clipNorm: Float?) throws -> Objective {
        let objective = try model.objective(try model(batch), batch: batch)
        let gradients = TaskGradients.collect(
            objective.tasks.map { ($0.name, $0.weighted) }, parameters: optimizer.namedParameters)
        try update.step(gradients, optimizer: optimizer, clipNorm: clipNorm)
        return objective
    }
}
