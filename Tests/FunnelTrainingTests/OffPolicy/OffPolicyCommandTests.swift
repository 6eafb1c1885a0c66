import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelTraining

/// `funnel ope` on the Open Bandit sample, converted once into a temporary folder.
@Suite struct OffPolicyCommandTests {
    /// Converts the sample with `funnel data convert` into a fresh folder.
    static func convertedSample() throws -> (folder: String, data: String) {
        let source = try SharedData.folder(named: "open-bandit-dataset")
        let folder = RunnerFixture.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let data = folder + "/obd"
        let convert = try runFunnel(["data", "convert", "--format", "open-bandit", source, data])
        try #require(convert.status == 0, "\(convert.errors)")
        return (folder, data)
    }

    @Test(.needsSharedData) func everyCampaignGetsFiniteEstimatesAndATruth() throws {
        let (folder, data) = try Self.convertedSample()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try runFunnel(["ope", "--data", data, "--campaign", "every", "--bootstrap", "200", "--json"])
        try #require(run.status == 0, "\(run.errors)")
        let reports = try JSONDecoder().decode([OffPolicyEvaluation.CampaignReport].self, from: Data(run.output.utf8))
        #expect(reports.map(\.campaign) == ["all", "men", "women"])
        #expect(reports.map(\.actionCount) == [80, 34, 46])
        for report in reports {
            #expect(report.rounds == 10_000 && report.onPolicyRounds == 10_000)
            #expect(report.estimates.map(\.estimator) == [.ips, .snips, .dm, .dr])
            let truth = try #require(report.truth)
            #expect(truth.estimate > 0 && truth.contains(truth.estimate))
            for line in report.estimates {
                let interval = line.interval
                #expect(interval.estimate.isFinite && interval.lower.isFinite && interval.upper.isFinite, "\(line)")
                #expect(interval.estimate >= 0 && interval.lower <= interval.upper, "\(line)")
                #expect(line.relativeError?.isFinite == true, "\(line)")
            }
        }
        // The table names the convention and the truth.
        let table = try runFunnel(["ope", "--data", data, "--campaign", "men", "--bootstrap", "50"])
        try #require(table.status == 0, "\(table.errors)")
        #expect(table.output.contains("normalised to sum to 1 per position"))
        #expect(table.output.contains("on-policy") && table.output.contains("DR "))
    }

    /// The uniform log's own policy as the target: every weight is 1 and IPS is the mean click.
    @Test(.needsSharedData) func theLoggingPolicyAsTargetGivesTheMeanClick() throws {
        let (folder, data) = try Self.convertedSample()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try runFunnel([
            "ope", "--data", data, "--campaign", "men", "--target", "random-log", "--on-policy-split", "random",
            "--bootstrap", "20", "--json",
        ])
        try #require(run.status == 0, "\(run.errors)")
        let report = try #require(try JSONDecoder().decode([OffPolicyEvaluation.CampaignReport].self, from: Data(run.output.utf8)).first)
        let truth = try #require(report.truth).estimate
        #expect(abs(truth - 46.0 / 10_000) < 1e-12)
        for line in report.estimates where line.estimator == .ips || line.estimator == .snips {
            #expect(abs(line.interval.estimate - truth) < 1e-6 * truth, "\(line)")
        }
    }

    /// A target file whose round does not sum to 1 is refused with the file, line, round and sum.
    @Test(.needsSharedData) func aTargetFileThatDoesNotSumToOneIsRefusedWhereItIs() throws {
        let (folder, data) = try Self.convertedSample()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/target.csv"
        try "round,action,position,probability\n0,0,1,0.5\n0,1,1,0.3\n0,1,2,1\n0,2,3,1\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let run = try runFunnel(["ope", "--data", data, "--campaign", "men", "--target", file])
        #expect(run.status != 0)
        #expect(run.errors.contains("\(file):2: round 0, position 1: the probabilities sum to 0.8"), "\(run.errors)")
        let every = try runFunnel(["ope", "--data", data, "--target", file])
        #expect(every.status != 0 && every.errors.contains("choose --campaign"), "\(every.errors)")
    }
}
