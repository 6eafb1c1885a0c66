#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A learning rate that changes with the step: the factor a schedule applies to a base rate.
///
/// In JSON a schedule is an object named by its `kind`:
/// `{"kind": "constant"}`, `{"kind": "step", "every": 1000, "factor": 0.5}` or
/// `{"kind": "warmup-cosine", "warmupSteps": 100, "totalSteps": 10000, "minimumFactor": 0.1}`
/// (`totalSteps` 0 or absent: the run's total, filled in by ``resolved(totalSteps:)``).
public enum LearningRateSchedule: Sendable, Codable, Equatable {
    case constant
    /// Multiplied by `factor` every `every` steps.
    case step(every: Int, factor: Float)
    /// Linear warm-up from 0 over `warmupSteps`, then cosine decay to `minimumFactor` of the base
    /// rate at `totalSteps` (Loshchilov & Hutter, arXiv 1608.03983). `totalSteps` 0: the run's.
    case warmupCosine(warmupSteps: Int, totalSteps: Int, minimumFactor: Float)

    /// The JSON `kind` of each schedule.
    public static let kinds = ["constant", "step", "warmup-cosine"]

    /// The rate at `step` (0-based) for a base rate.
    public func learningRate(base: Float, step: Int) -> Float {
        switch self {
        case .constant:
            return base
        case .step(let every, let factor):
            var rate = base
            for _ in 0..<(step / Swift.max(every, 1)) { rate *= factor }
            return rate
        case .warmupCosine(let warmupSteps, let totalSteps, let minimumFactor):
            if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
            let span = Swift.max(totalSteps - warmupSteps, 1)
            let progress =
                Float(Swift.min(step - warmupSteps, totalSteps - warmupSteps)) / Float(span)
            let cosine = 0.5 * (1 + Float(cos(Double.pi * Double(progress))))
            return base * (minimumFactor + (1 - minimumFactor) * cosine)
        }
    }

    /// The schedule with a total of 0 steps (the run's) replaced by `totalSteps`.
    public func resolved(totalSteps: Int) -> LearningRateSchedule {
        guard case .warmupCosine(let warmupSteps, 0, let minimumFactor) = self else { return self }
        return .warmupCosine(
            warmupSteps: warmupSteps, totalSteps: totalSteps, minimumFactor: minimumFactor)
    }

    private enum CodingKeys: String, CodingKey {
        case kind, every, factor, warmupSteps, totalSteps, minimumFactor
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "constant":
            self = .constant
        case "step":
            self = .step(
                every: try container.decode(Int.self, forKey: .every),
                factor: try container.decode(Float.self, forKey: .factor))
        case "warmup-cosine":
            self = .warmupCosine(
                warmupSteps: try container.decode(Int.self, forKey: .warmupSteps),
                totalSteps: try container.decodeIfPresent(Int.self, forKey: .totalSteps) ?? 0,
                minimumFactor: try container.decode(Float.self, forKey: .minimumFactor))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription:
                    "'\(kind)' is not a schedule kind (expected one of \(Self.kinds.joined(separator: ", ")))"
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .constant:
            try container.encode("constant", forKey: .kind)
        case .step(let every, let factor):
            try container.encode("step", forKey: .kind)
            try container.encode(every, forKey: .every)
            try container.encode(factor, forKey: .factor)
        case .warmupCosine(let warmupSteps, let totalSteps, let minimumFactor):
            try container.encode("warmup-cosine", forKey: .kind)
            try container.encode(warmupSteps, forKey: .warmupSteps)
            try container.encode(totalSteps, forKey: .totalSteps)
            try container.encode(minimumFactor, forKey: .minimumFactor)
        }
    }
}
