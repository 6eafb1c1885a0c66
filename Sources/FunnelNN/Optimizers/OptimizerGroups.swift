import FunnelTensor

/// Several optimizers stepped as one, each over its own named group of parameters — Adagrad on
/// the embedding tables and Adam on the dense layers, say — with its own base learning rate and
/// schedule.
///
/// A parameter belongs to one group. Gradient clipping takes one norm over every group, and the
/// exported state holds each group's entries under `<group name>/`, as
/// `embeddings/accumulators.items.table`.
public final class OptimizerGroups {
    /// One group: a name, the optimizer over its parameters, and how its rate changes.
    public struct Group {
        /// Names the group's state entries; letters, digits, `_`, `.` and `-` (no `/`).
        public let name: String
        public let optimizer: Optimizer
        /// The rate the schedule scales.
        public let baseLearningRate: Float
        public let schedule: LearningRateSchedule

        /// A group whose base rate is, by default, the optimizer's current rate.
        public init(
            name: String, optimizer: Optimizer, baseLearningRate: Float? = nil,
            schedule: LearningRateSchedule = .constant
        ) {
            self.name = name
            self.optimizer = optimizer
            self.baseLearningRate = baseLearningRate ?? optimizer.learningRate
            self.schedule = schedule
        }
    }

    public let groups: [Group]

    /// Groups with distinct names and no parameter in two of them.
    public init(groups: [Group]) {
        precondition(
            Set(groups.map(\.name)).count == groups.count,
            "Funnel: optimizer group names must be distinct")
        for group in groups {
            precondition(
                !group.name.isEmpty && !group.name.contains("/"),
                "Funnel: optimizer group name '\(group.name)' must be non-empty and without '/'")
        }
        let tensors = groups.flatMap(\.optimizer.parameters).map(ObjectIdentifier.init)
        precondition(
            Set(tensors).count == tensors.count, "Funnel: a parameter is in two optimizer groups")
        self.groups = groups
    }

    /// One group named "default" over `optimizer`'s parameters.
    public convenience init(_ optimizer: Optimizer, schedule: LearningRateSchedule = .constant) {
        self.init(groups: [Group(name: "default", optimizer: optimizer, schedule: schedule)])
    }

    /// Every group's parameters with their names, in group order.
    public var namedParameters: [(name: String, parameter: Tensor)] {
        groups.flatMap { group in
            zip(group.optimizer.names, group.optimizer.parameters).map { (name: $0, parameter: $1) }
        }
    }

    /// Applies every group's gradients and clears them.
    public func step() {
        for group in groups { group.optimizer.step() }
    }

    /// Sets each group's learning rate to its schedule's rate at `step` (0-based).
    public func applySchedules(step: Int) {
        for group in groups {
            group.optimizer.learningRate = group.schedule.learningRate(
                base: group.baseLearningRate, step: step)
        }
    }

    /// Scales all groups' gradients so that their one global L2 norm is at most `maximumNorm`;
    /// returns the norm before clipping.
    @discardableResult
    public func clipGradientNorm(_ maximumNorm: Float) -> Float {
        Optimizer.clipGradientNorm(of: groups.flatMap(\.optimizer.parameters), to: maximumNorm)
    }

    /// Every group's state, its keys prefixed with `<group name>/`.
    public func exportState() -> OptimizerState {
        var state = OptimizerState()
        for group in groups { state.merge(group.optimizer.exportState(), prefix: group.name + "/") }
        return state
    }

    /// Restores every group from its `<group name>/` entries; throws naming the group and the
    /// missing or mismatched entry (a renamed parameter or group has none).
    public func importState(_ state: OptimizerState) throws {
        for group in groups {
            do {
                try group.optimizer.importState(state.entries(prefixed: group.name + "/"))
            } catch let error as OptimizerStateError {
                throw OptimizerStateError(
                    message: "optimizer group '\(group.name)': \(error.message)")
            }
        }
    }
}
