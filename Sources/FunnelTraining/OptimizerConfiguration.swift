import Foundation
import FunnelModels
import FunnelNN
import FunnelTensor

/// Which optimizer, learning rate and schedule train which parameters.
///
/// The top-level settings apply to every parameter that no group names. A group picks
/// parameters by module-path patterns, where `*` stands for any run of characters (dots
/// included), and overrides what it sets:
/// ```json
/// "optimizer": {"kind": "adam", "learningRate": 0.001,
///               "groups": [{"name": "embeddings", "parameters": ["*embedding*"],
///                           "kind": "adagrad", "learningRate": 0.01}]}
/// ```
public struct OptimizerConfiguration: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case adam, adamW = "adamw", adagrad, adagradDecayV2 = "adagrad-decay-v2", sgd

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let value = try container.decode(String.self)
            guard let kind = Kind(rawValue: value) else {
                let kinds = Kind.allCases.map(\.rawValue).joined(separator: ", ")
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription:
                        "'\(value)' is not an optimizer kind (expected one of \(kinds))")
            }
            self = kind
        }
    }

    public var kind = Kind.adam
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 0
    /// Adam's and AdamW's (β₁, β₂): PyTorch's (0.9, 0.999) by default; SASRec trains with
    /// (0.9, 0.98) (sequential.md §1.1).
    public var betas: [Float] = [0.9, 0.999]
    /// Clip gradients to this global norm, one norm over all groups (`nil`: no clipping).
    public var clipNorm: Float?
    public var schedule = LearningRateSchedule.constant
    /// Groups of parameters with their own settings; the rest form the group "default".
    public var groups: [ParameterGroupConfiguration] = []

    public init() {}

    /// Fields left out keep their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decodeIfPresent(Kind.self, forKey: .kind) ?? kind
        learningRate =
            try container.decodeIfPresent(Float.self, forKey: .learningRate) ?? learningRate
        weightDecay = try container.decodeIfPresent(Float.self, forKey: .weightDecay) ?? weightDecay
        betas = try container.decodeIfPresent([Float].self, forKey: .betas) ?? betas
        clipNorm = try container.decodeIfPresent(Float.self, forKey: .clipNorm)
        schedule =
            try container.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? schedule
        groups =
            try container.decodeIfPresent([ParameterGroupConfiguration].self, forKey: .groups)
            ?? groups
    }

    /// Refuses the values that need no model to be judged, before any work: learning rates
    /// (top level and groups) that are not finite and > 0, weight decays that are not finite and
    /// >= 0, a clip norm that is not finite and > 0, impossible schedules. `root` is the
    /// field's path (`optimizer`, `training.optimizer`).
    public func validate(at root: String = "optimizer") throws {
        _ = try Self.positive(learningRate, at: "\(root).learningRate")
        try Self.checkDecay(weightDecay, at: "\(root).weightDecay")
        guard betas.count == 2, betas.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
            throw Self.refusal("\(root).betas", "\(betas) are not Adam's betas (expected two numbers in [0, 1), as [0.9, 0.98])")
        }
        if let clipNorm, !(clipNorm > 0 && clipNorm.isFinite) {
            throw Self.refusal("\(root).clipNorm", "\(clipNorm) is not a gradient norm (expected a finite number > 0, or leave the field out)")
        }
        try Self.checkSchedule(schedule, at: "\(root).schedule")
        for (index, group) in groups.enumerated() {
            let path = "\(root).groups[\(index)]"
            if let rate = group.learningRate { _ = try Self.positive(rate, at: "\(path).learningRate") }
            if let decay = group.weightDecay { try Self.checkDecay(decay, at: "\(path).weightDecay") }
            if let schedule = group.schedule { try Self.checkSchedule(schedule, at: "\(path).schedule") }
        }
    }

    private static func checkDecay(_ decay: Float, at path: String) throws {
        guard decay >= 0, decay.isFinite else {
            throw refusal(path, "\(decay) is not a weight decay (expected a finite number >= 0)")
        }
    }

    /// The checks of a schedule that need not know the run's total.
    private static func checkSchedule(_ schedule: LearningRateSchedule, at path: String) throws {
        switch schedule {
        case .constant:
            break
        case .step(let every, let factor):
            guard every > 0 else { throw refusal("\(path).every", "\(every) is not a number of steps (expected > 0)") }
            guard factor > 0, factor.isFinite else {
                throw refusal("\(path).factor", "\(factor) is not a factor (expected a finite number > 0)")
            }
        case .warmupCosine(let warmupSteps, let totalSteps, let minimumFactor):
            guard warmupSteps >= 0 else {
                throw refusal("\(path).warmupSteps", "\(warmupSteps) is not a number of steps (expected >= 0)")
            }
            guard totalSteps >= 0 else {
                throw refusal("\(path).totalSteps", "\(totalSteps) is not a number of steps (expected > 0, or 0 for the run's)")
            }
            if totalSteps > 0, warmupSteps > totalSteps {
                throw refusal("\(path).warmupSteps", "\(warmupSteps) exceeds the schedule's totalSteps (expected at most \(totalSteps))")
            }
            guard minimumFactor >= 0, minimumFactor <= 1 else {
                throw refusal("\(path).minimumFactor", "\(minimumFactor) is not a factor of the base rate (expected a number in [0, 1])")
            }
        }
    }

    /// The optimizer groups over a model's parameters: the configured groups in order, then
    /// "default" with the parameters no group matched (omitted when there are none).
    /// `totalSteps` (the run's) resolves schedules that leave their total out.
    ///
    /// Throws a ``StrictJSON/Error`` naming the field (as `optimizer.groups[0].parameters[1]`),
    /// its value and what was expected: an invalid or unmatched pattern, a parameter matched by
    /// two groups, a repeated group name, a non-positive learning rate or an impossible schedule.
    public func makeOptimizer(
        for parameters: [(name: String, parameter: Tensor)], totalSteps: Int
    ) throws -> OptimizerGroups {
        let root = "optimizer"
        try validate(at: root)
        let rate = try Self.positive(learningRate, at: "\(root).learningRate")
        let resolvedSchedule = try Self.checked(
            schedule, at: "\(root).schedule", totalSteps: totalSteps)
        let names = parameters.map(\.name)
        var owners: [Int?] = Array(repeating: nil, count: parameters.count)
        var groupNames: [String] = []
        var built: [OptimizerGroups.Group] = []
        for (index, group) in groups.enumerated() {
            let path = "\(root).groups[\(index)]"
            let name = group.name ?? "group\(index)"
            guard ParameterGroupConfiguration.isGroupName(name) else {
                throw Self.refusal(
                    "\(path).name", "'\(name)' is not a group name (letters, digits, '_', '.', '-')"
                )
            }
            if let other = groupNames.firstIndex(of: name) {
                throw Self.refusal(
                    "\(path).name",
                    "'\(name)' already names \(root).groups[\(other)] (expected a distinct name)")
            }
            groupNames.append(name)
            let members = try Self.match(
                group.parameters, at: path, names: names, group: index, owners: &owners,
                groupNames: groupNames)
            let groupRate =
                try group.learningRate.map { try Self.positive($0, at: "\(path).learningRate") }
                ?? rate
            let groupSchedule =
                try group.schedule.map {
                    try Self.checked($0, at: "\(path).schedule", totalSteps: totalSteps)
                }
                ?? resolvedSchedule
            let optimizer = Self.optimizer(
                group.kind ?? kind, over: members.map { parameters[$0] },
                learningRate: groupRate,
                weightDecay: group.weightDecay ?? weightDecay, betas: betas)
            built.append(
                OptimizerGroups.Group(name: name, optimizer: optimizer, schedule: groupSchedule))
        }
        let unmatched = parameters.indices.filter { owners[$0] == nil }
        if !unmatched.isEmpty {
            if let clash = groupNames.firstIndex(of: "default") {
                throw Self.refusal(
                    "\(root).groups[\(clash)].name",
                    "'default' names the group of the \(unmatched.count) parameters no group matches "
                        + "(expected another name, or patterns matching every parameter)")
            }
            let optimizer = Self.optimizer(
                kind, over: unmatched.map { parameters[$0] }, learningRate: rate,
                weightDecay: weightDecay, betas: betas)
            built.append(
                OptimizerGroups.Group(
                    name: "default", optimizer: optimizer, schedule: resolvedSchedule))
        }
        return OptimizerGroups(groups: built)
    }

    /// The indices (in model order) of the parameters that `patterns` match, recorded in
    /// `owners` as group `group`'s; refuses an invalid or unmatched pattern and a parameter that
    /// an earlier group holds.
    private static func match(
        _ patterns: [String], at path: String, names: [String], group: Int, owners: inout [Int?],
        groupNames: [String]
    ) throws -> [Int] {
        guard !patterns.isEmpty else {
            throw refusal(
                "\(path).parameters", "[] has no pattern (expected at least one parameter pattern)")
        }
        for (patternIndex, pattern) in patterns.enumerated() {
            let patternPath = "\(path).parameters[\(patternIndex)]"
            guard ParameterGroupConfiguration.isPattern(pattern) else {
                throw refusal(
                    patternPath,
                    "'\(pattern)' is not a parameter pattern (letters, digits, '_', '.', '-', '*')")
            }
            let matched = names.indices.filter {
                ParameterGroupConfiguration.matches(pattern, names[$0])
            }
            guard !matched.isEmpty else {
                throw refusal(patternPath, "'\(pattern)' matches no parameter (\(sample(names)))")
            }
            for parameter in matched {
                if let owner = owners[parameter], owner != group {
                    throw refusal(
                        patternPath,
                        "'\(pattern)' matches parameter '\(names[parameter])', already in group "
                            + "'\(groupNames[owner])' (optimizer.groups[\(owner)]); expected it in one "
                            + "group only, not also in '\(groupNames[group])'")
                }
                owners[parameter] = group
            }
        }
        return owners.indices.filter { owners[$0] == group }
    }

    /// One optimizer of `kind` over named parameters.
    static func optimizer(
        _ kind: Kind, over parameters: [(name: String, parameter: Tensor)], learningRate: Float,
        weightDecay: Float, betas: [Float] = [0.9, 0.999]
    ) -> Optimizer {
        switch kind {
        case .adam:
            Adam(namedParameters: parameters, learningRate: learningRate, beta1: betas[0], beta2: betas[1], weightDecay: weightDecay)
        case .adamW:
            Adam(
                namedParameters: parameters, learningRate: learningRate, beta1: betas[0], beta2: betas[1], weightDecay: weightDecay,
                decoupledWeightDecay: true)
        case .adagrad: Adagrad(namedParameters: parameters, learningRate: learningRate)
        case .adagradDecayV2:
            AdagradDecayV2(namedParameters: parameters, learningRate: learningRate)
        case .sgd:
            SGD(namedParameters: parameters, learningRate: learningRate, weightDecay: weightDecay)
        }
    }

    private static func positive(_ rate: Float, at path: String) throws -> Float {
        guard rate > 0, rate.isFinite else {
            throw Self.refusal(path, "\(rate) is not a learning rate (expected a number > 0)")
        }
        return rate
    }

    /// The schedule with the run's total filled in, or a refusal naming the field at fault.
    private static func checked(
        _ schedule: LearningRateSchedule, at path: String, totalSteps: Int
    ) throws -> LearningRateSchedule {
        let resolved = schedule.resolved(totalSteps: totalSteps)
        switch resolved {
        case .constant:
            break
        case .step(let every, let factor):
            guard every > 0 else {
                throw Self.refusal(
                    "\(path).every", "\(every) is not a number of steps (expected > 0)")
            }
            guard factor > 0 else {
                throw Self.refusal("\(path).factor", "\(factor) is not a factor (expected > 0)")
            }
        case .warmupCosine(let warmupSteps, let total, _):
            guard warmupSteps >= 0 else {
                throw Self.refusal(
                    "\(path).warmupSteps", "\(warmupSteps) is not a number of steps (expected >= 0)"
                )
            }
            guard warmupSteps <= total else {
                let whose =
                    resolved == schedule ? "the schedule's totalSteps" : "the run's total steps"
                throw Self.refusal(
                    "\(path).warmupSteps",
                    "\(warmupSteps) exceeds \(whose) (expected at most \(total))")
            }
        }
        return resolved
    }

    /// A few parameter names, for a message.
    private static func sample(_ names: [String]) -> String {
        guard !names.isEmpty else { return "the model has no parameters" }
        let shown = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
        let more = names.count > 5 ? ", … (\(names.count) in all)" : ""
        return "expected a pattern matching parameters such as \(shown)\(more)"
    }

    private static func refusal(_ path: String, _ message: String) -> StrictJSON.Error {
        StrictJSON.Error(description: "field '\(path)': \(message)")
    }
}
