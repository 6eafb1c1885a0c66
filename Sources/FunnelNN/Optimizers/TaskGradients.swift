import FunnelTensor

/// The gradient one task left on one parameter: dense, row-sparse (an embedding table read
/// through ``Tensor/embeddingLookup(_:)``), or both.
public struct ParameterGradient {
    public var dense: Tensor?
    public var rowSparse: RowSparseGradient?

    public init(dense: Tensor? = nil, rowSparse: RowSparseGradient? = nil) {
        self.dense = dense
        self.rowSparse = rowSparse
    }
}

/// Every task's gradient of every parameter, computed by separate backward passes of a
/// multi-task objective's terms: `gradients[task][parameter]`, `nil` where a task does not
/// reach a parameter (a tower of another task). PUB (multitask.md §3) and other
/// gradient-balancing methods read them; ``accumulate(weights:)`` writes their weighted sum
/// back onto the parameters for an ordinary optimizer step.
public struct TaskGradients {
    /// The task names, in the objective's order.
    public let tasks: [String]
    /// The parameters, in the optimizer's order.
    public let parameters: [(name: String, parameter: Tensor)]
    public var gradients: [[ParameterGradient?]]

    public init(tasks: [String], parameters: [(name: String, parameter: Tensor)], gradients: [[ParameterGradient?]]) {
        precondition(gradients.count == tasks.count && gradients.allSatisfy { $0.count == parameters.count })
        self.tasks = tasks
        self.parameters = parameters
        self.gradients = gradients
    }

    /// Back-propagates each task's loss on its own (the graph kept until the last) and takes
    /// the gradients it leaves, so the parameters carry none afterwards.
    /// - Parameter losses: one scalar per task, `[]` shape.
    public static func collect(
        _ losses: [(name: String, loss: Tensor)], parameters: [(name: String, parameter: Tensor)]
    ) -> TaskGradients {
        for (_, parameter) in parameters { parameter.zeroGradient() }
        var gradients: [[ParameterGradient?]] = []
        for (index, task) in losses.enumerated() {
            task.loss.backward(retainingGraph: index < losses.count - 1)
            gradients.append(parameters.map { _, parameter in
                defer { parameter.zeroGradient() }
                guard parameter.gradient != nil || parameter.sparseGradient != nil else { return nil }
                return ParameterGradient(dense: parameter.gradient, rowSparse: parameter.sparseGradient)
            })
        }
        return TaskGradients(tasks: losses.map(\.name), parameters: parameters, gradients: gradients)
    }

    /// Sets every parameter's gradient to `Σ_t weights[t]·g_t` (weights default to 1: the
    /// gradient of the summed objective). Dense sums are taken in task order; row-sparse rows
    /// are concatenated, so an optimizer coalesces them as it would one backward pass's rows.
    public func accumulate(weights: [Float]? = nil) {
        let weights = weights ?? Array(repeating: 1, count: tasks.count)
        precondition(weights.count == tasks.count, "Funnel: \(weights.count) weights for \(tasks.count) tasks")
        for (index, (_, parameter)) in parameters.enumerated() {
            var dense: Tensor?
            var rowSparse: RowSparseGradient?
            for (task, weight) in weights.enumerated() {
                guard let gradient = gradients[task][index] else { continue }
                if let value = gradient.dense {
                    let scaled = weight == 1 ? value : value * weight
                    dense = dense.map { $0 + scaled } ?? scaled.copy()
                }
                if let rows = gradient.rowSparse {
                    if rowSparse == nil { rowSparse = RowSparseGradient(width: rows.width) }
                    rowSparse!.append(rows, scaledBy: weight)
                }
            }
            parameter.gradient = dense
            parameter.sparseGradient = rowSparse
        }
    }
}

/// A multi-task optimizer: receives the per-task gradients of a training step and updates the
/// parameters (through the optimizer groups or by its own rule). ``SummedTaskUpdate`` is the
/// default; ``PUB`` (multitask.md §3) balances the tasks' Adam updates.
public protocol MultiTaskUpdate: AnyObject {
    /// Applies one step from the tasks' gradients; `clipNorm` bounds the combined gradient's
    /// global norm where the rule combines before stepping. Throws when the rule cannot apply
    /// (PUB without Adam or without shared parameters).
    func step(_ gradients: TaskGradients, optimizer: OptimizerGroups, clipNorm: Float?) throws
    /// The state a checkpoint keeps (task weights, counters); empty by default.
    func exportState() -> OptimizerState
    func importState(_ state: OptimizerState) throws
}

extension MultiTaskUpdate {
    public func exportState() -> OptimizerState { OptimizerState() }
    public func importState(_ state: OptimizerState) throws {}
}

/// The default multi-task rule: the tasks' gradients summed, then one ordinary step — the same
/// update as one backward pass of the summed objective (up to the order of float additions).
public final class SummedTaskUpdate: MultiTaskUpdate {
    public init() {}

    public func step(_ gradients: TaskGradients, optimizer: OptimizerGroups, clipNorm: Float?) {
        gradients.accumulate()
        if let clipNorm { optimizer.clipGradientNorm(clipNorm) }
        optimizer.step()
    }
}
