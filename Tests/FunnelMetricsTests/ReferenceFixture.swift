import Foundation
import Testing

/// The committed reference arrays and values of `Fixtures/reference.json`.
///
/// `Fixtures/generate.py` computed every expected value once, offline, with scikit-learn or
/// plain (often brute-force) loops, independently of FunnelMetrics.
struct ReferenceFixture: Decodable, Sendable {
    struct Binary: Decodable, Sendable {
        struct Expected: Decodable, Sendable {
            let auc, weightedAUC: Double
            let groupedAUCUniform, groupedAUCExposures, groupedAUCClicks: Double
            let groupsUsed, groupsDropped, rowsDropped: Int
            let logLoss, weightedLogLoss, logLossFromLogits: Double
            let meanPrediction, meanLabel, expectedCalibrationError: Double
            let binCounts: [Int]
        }
        let scores, labels, weights, logits, logitLabels: [Double]
        let groups: [Int]
        let expected: Expected
    }

    struct Graded: Decodable, Sendable {
        struct Expected: Decodable, Sendable {
            let meanNDCG: [Double]
            let meanReciprocalRank: Double
        }
        let scores, labels: [Double]
        let groups, cutoffs: [Int]
        let expected: Expected
    }

    struct WatchTime: Decodable, Sendable {
        struct Expected: Decodable, Sendable {
            let xauc, groupedXAUC: Double
            let groupsUsed, groupsDropped, rowsDropped: Int
        }
        let predictions, targets: [Double]
        let groups: [Int]
        let expected: Expected
    }

    struct FullRanking: Decodable, Sendable {
        struct AtCutoff: Decodable, Sendable {
            let cutoff: Int
            let hitRatio, recall, ndcg, reciprocalRank: Double
        }
        struct Outcome: Decodable, Sendable {
            let rank, reciprocalRank: Double
            let metrics: [AtCutoff]
        }
        struct User: Decodable, Sendable {
            let scores: [Double]
            let targets, excluded: [Int]
            let optimistic, pessimistic, expected: Outcome
        }
        let cutoffs: [Int]
        let users: [User]
    }

    let binary: Binary
    let graded: Graded
    let watchTime: WatchTime
    let fullRanking: FullRanking

    /// The fixture, decoded once.
    static func load() throws -> ReferenceFixture { try cached.get() }

    private static let cached = Result<ReferenceFixture, any Error> {
        guard
            let url = Bundle.module.url(
                forResource: "reference", withExtension: "json", subdirectory: "Fixtures")
        else { throw FixtureMissing() }
        return try JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: url))
    }

    private struct FixtureMissing: Error {}
}

/// Expects `actual` within `relative · |expected|` of `expected` (or exactly 0 when expected).
func expectClose(
    _ actual: Double, _ expected: Double, relative: Double = 1e-9,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let tolerance = relative * abs(expected)
    #expect(
        abs(actual - expected) <= tolerance, "\(actual) is not within \(tolerance) of \(expected)",
        sourceLocation: sourceLocation)
}
