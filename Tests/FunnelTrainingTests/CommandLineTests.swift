import Foundation
import FunnelData
import FunnelTestSupport
import Testing

@testable import FunnelTraining

/// The command line as a newcomer meets it: `--version`, help texts, checkpoints that remember
/// their data wherever they are read from, and a word when no model will be saved.
@Suite struct CommandLineTests {
    @Test func versionIsPrinted() throws {
        let run = try runFunnel(["--version"])
        #expect(run.status == 0)
        let version = run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.split(separator: ".").count == 3 && version.allSatisfy { $0.isNumber || $0 == "." }, "\(run.output)")
    }

    /// ArgumentParser wraps each line of a discussion to the terminal: a paragraph must be one
    /// line, or a narrow terminal shows its hard line breaks mid-sentence.
    @Test func helpDiscussionsHoldOneParagraphPerLine() throws {
        let root = try #require(SharedData.repositoryRoot(), "no Package.swift above this file")
        let folder = root.appendingPathComponent("Sources/funnel").path
        var discussions = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            for block in text.components(separatedBy: "discussion: \"\"\"").dropFirst() {
                discussions += 1
                let body = try #require(block.components(separatedBy: "\"\"\"").first)
                let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
                let indent = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                    .map { $0.prefix { $0 == " " }.count }.min() ?? 0
                for line in lines {
                    let content = String(line.dropFirst(indent))
                    // Blank lines, indented (preformatted) lines and examples are kept as written.
                    if content.trimmingCharacters(in: .whitespaces).isEmpty || content.hasPrefix(" ") || content.hasPrefix("Example") {
                        continue
                    }
                    #expect(
                        content.hasSuffix(".") || content.hasSuffix(":"),
                        "\(file): a discussion line ends mid-sentence (hard-wrapped?): \(content)")
                }
            }
        }
        #expect(discussions >= 8)
    }

    /// `funnel demo` at a tiny size: one world per seed, BASE and USD on each, the table with
    /// each model's spread and the paired difference USD − BASE, and the curve report.
    @Test func demoPrintsTheSpreadAndThePairedDifference() throws {
        let folder = NSTemporaryDirectory() + "funnel-demo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try runFunnel(["demo", "--users", "300", "--days", "5", "--seeds", "1", "2", "--out", folder])
        #expect(run.status == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("300 × 5 (seeds 1, 2)") == true && lines.first?.contains("truth_auc") == true, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("USD − BASE") && $0.contains("±") }, "\(run.output)")
        #expect(FileManager.default.fileExists(atPath: folder + "/curve.md"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/worlds/300x5-seed1"))
    }

    /// `funnel simulate homepage --preset first-worlds` is the first worlds' knobs; an unknown
    /// preset is refused with the known ones.
    @Test func simulatePresetsAreNamed() throws {
        let folder = NSTemporaryDirectory() + "funnel-preset-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try runFunnel(["simulate", "homepage", "--users", "50", "--days", "3", "--preset", "first-worlds", "--out", folder])
        #expect(first.status == 0, "\(first.errors)")
        let schema = try String(contentsOfFile: folder + "/schema.json", encoding: .utf8)
        #expect(!schema.contains("interest_click") && !schema.contains("user_segment_1"))
        let unknown = try runFunnel(["simulate", "homepage", "--users", "50", "--days", "3", "--preset", "newest", "--out", folder])
        #expect(unknown.status != 0 && unknown.errors.contains("--preset newest: homepage has the presets first-worlds"), "\(unknown.errors)")
    }

    /// `funnel ecpo run` refuses a configuration mistake before loading anything, naming the
    /// file and the field, and an unknown `--through` stage with the list of stages.
    @Test func ecpoRefusesABadConfigurationNamingTheField() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ecpo-\(UUID().uuidString).json").path
        try Data(#"{"planningTuning": {"accumulation": 0}}"#.utf8).write(to: URL(fileURLWithPath: path))
        let run = try runFunnel(["ecpo", "run", "--config", path])
        #expect(run.status != 0)
        #expect(run.errors.contains("\(path): field \"planningTuning.accumulation\": expected at least 1"), "\(run.errors)")
        let stage = try runFunnel(["ecpo", "run", "--config", path, "--through", "dpo"])
        #expect(stage.status != 0)
        #expect(stage.errors.contains("expected one of setup, expert-dialogues, sgpt, rollouts, rewriting, ecpo, evaluation, judging, report"), "\(stage.errors)")
    }

    /// A run started in one folder with a relative data path is evaluated and predicted from
    /// another: the checkpoint keeps the path absolute. Without a checkpoint folder the run says
    /// once that no model will be saved.
    @Test func aRelativeDataPathIsStoredAbsoluteAndAMissingCheckpointFolderIsAnnounced() throws {
        let project = RunnerFixture.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: project) }
        try FileManager.default.createSymbolicLink(atPath: project + "/data", withDestinationPath: RunnerFixture.data)
        var configuration = RunnerFixture.configuration()
        configuration.data = "data"
        configuration.epochs = 1
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: project + "/train.json"))

        let unsaved = try runFunnel(["train", "--config", "train.json"], in: project)
        #expect(unsaved.status == 0, "\(unsaved.errors)")
        #expect(unsaved.errors.components(separatedBy: "no model will be saved").count == 2, "\(unsaved.errors)")

        let saved = try runFunnel(["train", "--config", "train.json", "--checkpoint-directory", "runs/lr"], in: project)
        #expect(saved.status == 0, "\(saved.errors)")
        #expect(!saved.errors.contains("no model will be saved"))
        let checkpoint = try #require(Checkpoint.latest(in: project + "/runs/lr"))
        let stored = try Checkpoint.readState(checkpoint).configuration.data
        #expect(stored.hasPrefix("/") && stored.hasSuffix("/data"), "\(stored)")

        // From the test's own folder, not the project's.
        let scores = project + "/scores.csv"
        let predicted = try runFunnel(["predict", "--checkpoint", project + "/runs/lr", "--out", scores])
        #expect(predicted.status == 0, "\(predicted.errors)")
        #expect(FileManager.default.fileExists(atPath: scores))
    }

    /// Checkpoints of older runs hold the data path as given: it is found beside the checkpoint.
    @Test func anOldRelativeDataPathIsResolvedAgainstTheFoldersAboveTheCheckpoint() throws {
        let project = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: project) }
        let checkpoint = project + "/runs/lr/step-000000010"
        try FileManager.default.createDirectory(atPath: checkpoint, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: project + "/data/world", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: project + "/data/world/schema.json"))
        #expect(try TrainedModel.resolveData("data/world", checkpoint: checkpoint) == project + "/data/world")
        #expect(try TrainedModel.resolveData("/elsewhere/world", checkpoint: checkpoint) == "/elsewhere/world")
        #expect {
            try TrainedModel.resolveData("data/nowhere-\(UUID().uuidString)", checkpoint: checkpoint)
        } throws: { error in
            "\(error)".contains("is relative and holds no schema.json") && "\(error)".contains("--data")
        }
    }
}
