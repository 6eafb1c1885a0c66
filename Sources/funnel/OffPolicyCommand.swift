import ArgumentParser
import Foundation
import FunnelData
import FunnelMetrics
import FunnelTraining

/// `funnel ope`: off-policy evaluation of a target policy on a bandit log (Open Bandit).
struct OffPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ope",
        abstract: "Estimate a target policy's value from a logged policy's log: IPS, SNIPS, DM and DR with bootstrap intervals.",
        discussion: """
            Reads a dataset folder converted with `funnel data convert --format open-bandit`. The estimators read the --log-split rounds of each campaign: IPS (Horvitz-Thompson), SNIPS (Swaminathan & Joachims 2015), the direct method and DR (Dudik, Langford & Li 2011). The reward model of DM and DR is the click rate of each (action, position) in the evaluated log, smoothed towards the position's click rate with --prior-strength pseudo-impressions. Intervals are percentile bootstrap intervals over the log's rounds (--bootstrap resamples, --seed, --level). With --on-policy-split (by default the split of a NAME-log target), the mean click of that split for the campaign, with its own interval, is the truth the estimates are compared with (relative error).

            The target: bts-log (or NAME-log for any split NAME) is that split's own behaviour policy, estimated as context-free: the probability of an action at a position is the mean logged propensity of the split's rows with that action at that position, normalised to sum to 1 per position; actions never shown there get 0. Otherwise --target is a CSV file with the header round,action,position,probability: round is the 0-based index of the round among the log split's rows of the campaign, and each round's probabilities at its logged position must sum to 1 (within 1e-4). A file describes one campaign's rounds, so it needs one --campaign. A checkpoint folder (funnel train on the same dataset, a model with a binary click task) is a target too: each round is scored once per action of the campaign, with the action's item, action and item side-table columns put in, and the distribution is the softmax of the model's log click probability divided by --temperature.

            Example: funnel ope --data data/obd --log-split random --on-policy-split bts --target bts-log --campaign every
            """)

    @Option(help: "The dataset folder (an Open Bandit conversion).")
    var data: String

    @Option(help: "The logged split the estimators read.")
    var logSplit = "random"

    @Option(help: "The split logged by the target policy itself, whose mean click is the truth ('none' for none; default: NAME for a NAME-log target, else none).")
    var onPolicySplit: String?

    @Option(help: "The campaign: all, men, women or every (each in turn).")
    var campaign = "every"

    @Option(help: "The target policy: NAME-log (the behaviour policy of split NAME, e.g. bts-log), a CSV file or a checkpoint folder.")
    var target = "bts-log"

    @Option(help: "The softmax temperature of a checkpoint target.")
    var temperature = 1.0

    @Option(help: "Bootstrap resamples.")
    var bootstrap = 1000

    @Option(help: "The bootstrap seed.")
    var seed: UInt64 = 1

    @Option(help: "The confidence level of the intervals.")
    var level = 0.95

    @Option(help: "The reward model's prior strength, in pseudo-impressions.")
    var priorStrength = 100.0

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    static let campaigns = ["all", "men", "women"]

    func validate() throws {
        guard bootstrap >= 2 else { throw ValidationError("--bootstrap must be at least 2, got \(bootstrap)") }
        guard level > 0 && level < 1 else { throw ValidationError("--level must lie in (0, 1), got \(level)") }
        guard priorStrength >= 0 && priorStrength.isFinite else { throw ValidationError("--prior-strength must be a finite number ≥ 0") }
        guard campaign == "every" || Self.campaigns.contains(campaign) else {
            throw ValidationError("--campaign must be all, men, women or every, got '\(campaign)'")
        }
        guard temperature > 0 && temperature.isFinite else { throw ValidationError("--temperature must be a positive number, got \(temperature)") }
        if !target.hasSuffix("-log") && !isDirectory(target) && campaign == "every" {
            throw ValidationError("a --target file describes one campaign's rounds: choose --campaign all, men or women")
        }
    }

    func run() throws {
        var configuration = OffPolicyEvaluation.Configuration()
        configuration.logSplit = logSplit
        let ownSplit = target.hasSuffix("-log") ? String(target.dropLast(4)) : nil
        configuration.onPolicySplit = onPolicySplit == "none" ? nil : onPolicySplit ?? ownSplit
        if target.hasSuffix("-log") {
            configuration.target = .behaviourLog(split: String(target.dropLast(4)))
        } else if isDirectory(target) {
            configuration.target = .model(checkpoint: target, temperature: temperature)
        } else {
            configuration.target = .file(target)
        }
        configuration.resamples = bootstrap
        configuration.seed = seed
        configuration.level = level
        configuration.priorStrength = priorStrength
        let dataset = try Dataset.load(data)
        let reports = try (campaign == "every" ? Self.campaigns : [campaign]).map {
            try OffPolicyEvaluation.evaluate(dataset: dataset, campaign: $0, configuration: configuration)
        }
        if json {
            print(try encodeJSON(reports))
            return
        }
        for report in reports { print(Self.table(report, seed: seed) + "\n") }
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// One campaign's table: every estimator with its interval and relative error, then the truth.
    static func table(_ report: OffPolicyEvaluation.CampaignReport, seed: UInt64) -> String {
        let level = report.estimates.first.map { Int(($0.interval.level * 100).rounded()) } ?? 95
        let resamples = report.estimates.first?.interval.resamples ?? 0
        var lines = [
            "campaign \(report.campaign): \(report.rounds) rounds of split '\(report.logSplit)', \(report.actionCount) actions",
            "target: \(report.target)",
            "reward model (DM, DR): \(report.rewardModel)",
            "intervals: \(level)% percentile bootstrap, \(resamples) resamples of the rounds, seed \(seed)",
            "estimator   estimate    \(level)% interval              relative error",
        ]
        func cell(_ interval: BootstrapInterval) -> String {
            String(format: "%.6f    [%.6f, %.6f]", interval.estimate, interval.lower, interval.upper)
        }
        for line in report.estimates {
            let error = line.relativeError.map { String(format: "%+.1f%%", $0 * 100) } ?? "—"
            lines.append(line.estimator.rawValue.uppercased().padding(toLength: 12, withPad: " ", startingAt: 0) + cell(line.interval) + "    " + error)
        }
        if let truth = report.truth, let split = report.onPolicySplit, let rounds = report.onPolicyRounds {
            lines.append("on-policy   " + cell(truth) + "    (mean click of split '\(split)', \(rounds) rounds)")
        }
        return lines.joined(separator: "\n")
    }
}
