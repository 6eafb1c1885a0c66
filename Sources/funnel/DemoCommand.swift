import ArgumentParser
import Foundation
import FunnelSimulation
import FunnelTensor
import FunnelTraining

/// `funnel demo`: Funnel's main job in one command — simulate USD's homepage world once per
/// seed, train BASE and USD on each, and print their metrics with the spread over seeds and the
/// paired difference USD − BASE with its spread.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Simulate a homepage per seed, train BASE and USD, and print truth AUC, GAUC_avg/show/click and AUC with their spread and USD − BASE.",
        discussion: """
            The homepage world (funnel simulate homepage, default knobs) holds pseudo-negatives (users who never looked: most non-clicks outside the portal visitors) and pseudo-positives (clicks made only to reach the portal, drawn to badged items and the first slot); its ground truth is the interest-driven click probability of every exposure. BASE is the ETA-like CTR model trained on every exposure; USD trains it on the day's portal visitors with the intent module's dual-debiasing weights. Each seed draws its own world and the models' initialisation; both are evaluated on every exposure of the last 2 days, and USD − BASE is taken seed by seed. The default size takes under 3 minutes on 2 cores (release build).

            Example: funnel demo --users 10000 --days 28 --seeds 1 2 3
            """)

    @Option(help: "Users to simulate.") var users = 10_000
    @Option(help: "Days to simulate (the last 2 are evaluated).") var days = 28
    @Option(parsing: .upToNextOption, help: "The seeds: each draws a world and the models.") var seeds: [UInt64] = [1, 2, 3]
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Where the report goes.") var out = "runs/demo"
    @Flag(help: "Train with USD's AdagradDecayV2 (lr 0.01) instead of Adam (lr 0.01).") var paperOptimizer = false

    func run() throws {
        bootstrapLogging(level: .warning)
        let start = Date()
        Compute.threadCount = threads
        var training = TrainingConfiguration(data: out, model: .base)
        training.threads = threads
        // USD's AdagradDecayV2 at lr 0.01 was tuned for 1.45 billion samples; in the few
        // hundred steps of a demo-sized world it leaves the embeddings where they started
        // (AUC 0.50 after an epoch), so the demo uses Adam (--paper-optimizer restores it).
        training.optimizer.kind = paperOptimizer ? .adagradDecayV2 : .adam
        training.optimizer.learningRate = 0.01
        training.batchSize = 1024
        training.epochs = 2
        var experiment = ExperimentConfiguration(training: training, models: Self.models)
        experiment.seeds = seeds
        experiment.metrics = ["truth_auc", "gauc_avg", "gauc_show", "gauc_click", "auc"]
        experiment.output = out
        let curve = LearningCurveConfiguration(
            scenario: ScenarioKind.homepage.rawValue, sizes: [.init(users: users, days: days)], reference: "BASE",
            experiment: experiment)
        let result = try LearningCurve.run(curve) { size, seed, folder in
            let world = try ScenarioKind.homepage.simulate(users: size.users, days: size.days, seed: seed)
            try world.write(to: folder)
        } log: { line in
            note(line, since: start)
        }
        try LearningCurveReport.write(result, to: out)
        print(LearningCurveReport.table(result))
        note("done; report in \(out)", since: start)
    }

    /// BASE and USD as `Examples/homepage-curve.json` runs them: the profile, context and item
    /// features without the user id (a user-id embedding memorises a user's few dozen
    /// exposures), long sequence 50, short 5, retrieval keeps 8 (a 28-day world's users have
    /// clicked about 11.5 items on average, so SimHash filters); USD's intent module trains as
    /// its own parameter group with SGD at learning rate 1, so that α = β = 0.1 of Eq. 8 are its
    /// step sizes (under Adam they would change nothing: the module shares no parameter with BASE).
    static var models: [ExperimentModel] {
        let base = #"""
            {"longLength": 50, "shortLength": 5, "retrieved": 8, "features": {"categorical": ["position", "user.user_segment",
             "user.user_age", "user.user_segment_1", "user.user_segment_2", "user.user_segment_3", "item.item_price_level",
             "item.item_subsidy"]}}
            """#
        let models = #"""
            [{"name": "BASE", "model": "base", "configuration": \#(base)},
             {"name": "USD", "model": "usd", "configuration": {"base": \#(base), "portalLossWeight": 0.1, "blockLossWeight": 0.1},
              "training": {"optimizer": {"groups": [{"name": "intent", "parameters": ["intent.*"], "kind": "sgd", "learningRate": 1}]}}}]
            """#
        // A literal: decoding cannot fail short of a typo, which the demo's test would show.
        return try! JSONDecoder().decode([ExperimentModel].self, from: Data(models.utf8))
    }

    private func note(_ line: String, since start: Date) {
        FileHandle.standardError.write(Data(String(format: "[%5.1f s] %@\n", Date().timeIntervalSince(start), line).utf8))
    }
}
