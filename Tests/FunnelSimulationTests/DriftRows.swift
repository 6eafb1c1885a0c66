import Foundation
import FunnelData

@testable import FunnelSimulation

/// The exposure rows of a drifting world, train then test, with the click truth and the drift
/// truth columns, and the small statistics the drift tests use.
struct DriftRows {
    let user: [Int32], item: [Int32], day: [Int64]
    let truth: [Float], afterShift: [Float], shifted: [Float]

    init(_ world: SimulatedWorld, truth truthName: String) {
        user = Self.column(world, "user")
        item = Self.column(world, "item")
        day = Self.column(world, "day")
        truth = Self.column(world, truthName)
        afterShift = Self.column(world, "after_shift")
        shifted = Self.column(world, "shifted")
    }

    /// A user–item pair as one key.
    func pair(_ row: Int) -> Int64 { Int64(user[row]) << 32 | Int64(item[row]) }

    /// A column of both splits, train first (empty when the world lacks it).
    static func column<Element>(_ world: SimulatedWorld, _ name: String) -> [Element] {
        ["train", "test"].flatMap { split -> [Element] in
            guard let values = world.splits[split]?.column(name)?.values else { return [] }
            switch values {
            case .ids(let ids): return ids.array as? [Element] ?? []
            case .floats(let floats): return floats.array as? [Element] ?? []
            case .integers(let integers): return integers.array as? [Element] ?? []
            default: return []
            }
        }
    }

    /// The drift a world of `kind` with these knobs and this seed holds (its item roles).
    static func drift(_ kind: ScenarioKind, seed: UInt64, knobs: [String: String]) throws -> Drift {
        switch kind {
        case .funnel:
            return FunnelWorld(
                seed: seed, knobs: try KnobParser.apply(knobs, to: FunnelScenario.Knobs())
            ).drift
        case .homepage:
            return HomepageWorld(
                seed: seed, knobs: try KnobParser.apply(knobs, to: HomepageScenario.Knobs())
            ).drift
        default: throw KnobParser.KnobError(description: "\(kind) has no drift")
        }
    }

    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    static func meanLogit(_ probabilities: [Double]) -> Double { mean(probabilities.map(logit)) }

    static func variance(_ values: [Double]) -> Double {
        let centre = mean(values)
        return mean(values.map { ($0 - centre) * ($0 - centre) })
    }

    static func correlation(_ first: [Double], _ second: [Double]) -> Double {
        let firstMean = mean(first), secondMean = mean(second)
        let covariance = mean(zip(first, second).map { ($0 - firstMean) * ($1 - secondMean) })
        return covariance / (variance(first) * variance(second)).squareRoot()
    }
}
