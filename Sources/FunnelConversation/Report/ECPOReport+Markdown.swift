import Foundation
import FunnelTraining

extension ECPOReport {
    static func format(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

    /// The report as Markdown: models, the results table, the paired differences, training,
    /// pairs, and the cost of each stage.
    public var markdown: String {
        var lines = ["# ECPO run \(name)", ""]
        lines.append("Seed \(seed); \(trainingPersonas) training and \(testPersonas) test personas; λ = \(threshold).")
        lines.append("")
        lines.append("| Role | Model |")
        lines.append("| --- | --- |")
        for role in ["policy", "expert", "simulator", "rewriter", "judge", "embedder"] {
            lines.append("| \(role) | \(models[role] ?? "") |")
        }
        lines.append("")
        lines.append("## Results with the test personas")
        lines.append("")
        lines.append(
            "SR, R and WR ± the standard error over personas; ratings are means of the non-zero ratings (§7); "
                + "aborted: dialogues dropped by the leakage check or a simulator reply that stayed invalid (counted as failures).")
        lines.append("")
        lines.append("| Agent | Model | SR | R | WR | WR flex / coh / guide | Rec | Strat | Expr (e_t) | Turns | Calls / dialogue | Aborted |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for result in agents {
            let metrics = result.metrics
            let criteria = PairwiseJudge.criteria.map { Self.format(result.criteria[$0] ?? 0) }.joined(separator: " / ")
            lines.append(
                "| \(result.agent.rawValue) | \(result.model) | \(Self.format(metrics.successRate)) ± \(Self.format(result.successStandardError)) "
                    + "| \(Self.format(metrics.recallRate)) | \(Self.format(result.winRate)) ± \(Self.format(result.winRateStandardError)) | \(criteria) "
                    + "| \(Self.format(metrics.recommendationRating)) | \(Self.format(metrics.strategyRating)) | \(Self.format(metrics.expressionRating)) "
                    + "| \(Self.format(metrics.turns, 1)) | \(Self.format(metrics.totalCallsPerDialogue, 1)) | \(metrics.aborted) |")
        }
        let failures = agents.filter { $0.judgeFailures > 0 }.map { "\($0.agent.rawValue) \($0.judgeFailures)" }
        if !failures.isEmpty {
            lines.append("")
            lines.append("Comparisons the judge could not decide (left out of WR): \(failures.joined(separator: ", ")).")
        }
        lines.append("")
        lines.append("Paired differences over the same personas (mean ± standard error):")
        lines.append("")
        for difference in differences {
            lines.append("- \(difference.name): \(Self.format(difference.mean, 3)) ± \(Self.format(difference.standardError, 3)) (\(difference.personas) personas)")
        }
        lines.append("")
        lines.append("## Training")
        lines.append("")
        if let expertTrainingSuccess {
            lines.append("- Expert dialogues with the training personas: success rate \(Self.format(expertTrainingSuccess)).")
        }
        for (stage, report) in [("SGPT (SFT)", planningTuning), ("ECPO (DPO)", preferenceOptimisation)] {
            guard let report else { continue }
            var line = "- \(stage): \(report.examples) examples (\(report.trainingExamples) train, \(report.validationExamples) validation, \(report.truncated) truncated), \(report.optimizerSteps) optimizer steps, \(Self.format(report.seconds, 1)) s"
            if !report.trainingLoss.isEmpty { line += "; training loss per epoch " + report.trainingLoss.map { Self.format($0, 4) }.joined(separator: ", ") }
            if !report.validationLoss.isEmpty { line += "; validation loss " + report.validationLoss.map { Self.format($0, 4) }.joined(separator: ", ") }
            if !report.rewardAccuracy.isEmpty { line += "; reward accuracy " + report.rewardAccuracy.map { Self.format($0) }.joined(separator: ", ") }
            lines.append(line + ".")
        }
        if let pairs {
            let dropped = pairs.dropped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            lines.append("- Pairs: \(pairs.steps) agent steps, \(pairs.selected) below λ, \(pairs.kept) kept" + (dropped.isEmpty ? "." : "; dropped: \(dropped)."))
        }
        lines.append("")
        lines.append("## Cost")
        lines.append("")
        lines.append("| Stage | Seconds | LLM calls | Call seconds | Other model seconds | Overhead seconds |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for cost in costs {
            lines.append(
                "| \(cost.stage.rawValue) | \(Self.format(cost.seconds, 1)) | \(cost.calls) | \(Self.format(cost.callSeconds, 1)) "
                    + "| \(Self.format(cost.modelSeconds, 1)) | \(Self.format(cost.overheadSeconds, 1)) |")
        }
        lines.append("")
        lines.append("Total \(Self.format(totalSeconds, 1)) s, of which the pipeline's own overhead is \(Self.format(100 * overheadFraction, 2)) %.")
        lines.append("")
        lines.append("![Satisfaction per turn](satisfaction.svg)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The mean satisfaction `e_t` per turn of each agent (before and after ECPO).
    public var satisfactionChart: String {
        LineChart.svg(
            title: "Satisfaction per turn — \(name)", subtitle: "mean expression rating e_t of the dialogues that reached the turn",
            xTitle: "Turn", yTitle: "Mean e_t",
            series: agents.map { result in
                LineChart.Series(
                    label: result.agent.rawValue,
                    points: result.metrics.satisfactionByTurn.enumerated().map { (x: Double($0.offset), y: $0.element) })
            },
            yRange: 0...5)
    }
}
