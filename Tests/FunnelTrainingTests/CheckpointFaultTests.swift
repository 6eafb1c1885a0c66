import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor
import Testing

@testable import FunnelTraining

/// Faults of checkpoint folders: a deleted or damaged newest checkpoint or `latest` (resume
/// falls back to the newest valid one and ends where an uninterrupted run ends), flipped bytes
/// (refused, the file named), two runs on one folder (the second refused), a non-empty folder
/// without `--resume` (refused), stale temporaries (removed), a diverging run (stopped with the
/// step, its last checkpoint intact), and SIGKILL at random points (exact resume, with dropout).
///
/// Runs whose final parameters are compared run in their own `funnel` processes with one
/// thread: tests beside these switch the kernels' CPU path and thread count process-wide.
@Suite struct CheckpointFaultTests {
    // MARK: Processes

    /// A run of the `funnel` executable with its standard output and error in a file.
    struct Run {
        let process: Process
        let outputFile: String

        var output: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }

        func wait() -> (status: Int32, output: String) {
            process.waitUntilExit()
            defer { try? FileManager.default.removeItem(atPath: outputFile) }
            return (process.terminationStatus, output)
        }
    }

    static func launch(_ arguments: [String]) throws -> Run {
        let funnel = ResumeTests.executable
        try #require(FileManager.default.isExecutableFile(atPath: funnel), "the funnel executable is not at \(funnel); `swift build --build-tests` builds it")
        let outputFile = RunnerFixture.temporaryDirectory() + ".log"
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: funnel)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
        return Run(process: process, outputFile: outputFile)
    }

    /// The configuration of the process runs: an MLP with dropout, one thread, a checkpoint
    /// every 3 steps (2 epochs of 55 steps).
    static func dropoutConfiguration(checkpoints: String) throws -> TrainingConfiguration {
        var configuration = RunnerFixture.configuration(model: .mlp, checkpoints: checkpoints)
        configuration.modelConfiguration = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"dropout": 0.3}"#.utf8))
        configuration.threads = 1
        configuration.checkpointEvery = 3
        return configuration
    }

    /// Writes the configuration beside the checkpoint folder; returns its path.
    static func writeConfiguration(_ configuration: TrainingConfiguration) throws -> String {
        let path = try #require(configuration.checkpointDirectory) + ".json"
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The uninterrupted run, once: its checkpoint folder (the final checkpoint and the one
    /// before it).
    static let uninterrupted: Result<String, any Error> = Result {
        let checkpoints = RunnerFixture.temporaryDirectory()
        let run = try launch(["train", "--config", try writeConfiguration(try dropoutConfiguration(checkpoints: checkpoints))])
        let (status, output) = run.wait()
        guard status == 0 else { throw Checkpoint.Error(description: "the uninterrupted run failed: \(output.suffix(2_000))") }
        return checkpoints
    }

    static func parameters(_ checkpoint: String) throws -> [String: SafeTensors.Entry] {
        let file = checkpoint + "/model.safetensors"
        return try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: file)), file: file).entries
    }

    /// The finished run of a folder has the uninterrupted run's step and parameters, bit for bit.
    static func expectMatchesUninterrupted(_ checkpoints: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let straightPath = try #require(Checkpoint.latest(in: try uninterrupted.get()))
        let resumedPath = try #require(Checkpoint.latest(in: checkpoints), sourceLocation: sourceLocation)
        let straightState = try Checkpoint.readState(straightPath)
        let resumedState = try Checkpoint.readState(resumedPath)
        #expect(resumedState.finished && resumedState.step == straightState.step, sourceLocation: sourceLocation)
        let straight = try parameters(straightPath)
        let resumed = try parameters(resumedPath)
        #expect(resumed.keys.sorted() == straight.keys.sorted(), sourceLocation: sourceLocation)
        for (name, entry) in straight {
            guard case .float32(let expected) = entry.values, case .float32(let actual) = resumed[name]?.values else {
                Issue.record("\(name) missing", sourceLocation: sourceLocation)
                continue
            }
            #expect(expected == actual, "\(name) differs by \(zip(expected, actual).map { Swift.abs($0 - $1) }.max() ?? 0)", sourceLocation: sourceLocation)
        }
    }

    static func flipByte(_ file: String, at offset: (Int) -> Int) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let index = offset(bytes.count)
        bytes[index] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: file))
    }

    static func steps(_ checkpoints: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []).filter { $0.hasPrefix("step-") }.sorted()
    }

    // MARK: Fallback

    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case newestDeleted, latestDamaged, latestDamagedAndNewestOptimizerFlipped, latestMissingAndNewestStateTruncated
        var testDescription: String { rawValue }
    }

    /// The uninterrupted run's folder (its final checkpoint and the one before) is copied and
    /// damaged; `--resume` continues from the newest valid checkpoint, says so, prunes nothing
    /// valid, and ends with the uninterrupted run's parameters.
    @Test(arguments: Damage.allCases)
    func resumeFallsBackToTheNewestValidCheckpoint(damage: Damage) throws {
        let source = try Self.uninterrupted.get()
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        try FileManager.default.copyItem(atPath: source, toPath: checkpoints)
        let original = Self.steps(checkpoints)
        try #require(original.count == 2)
        let (previous, newest) = (original[0], original[1])
        var expected = previous
        switch damage {
        case .newestDeleted:
            try FileManager.default.removeItem(atPath: checkpoints + "/" + newest)
        case .latestDamaged:
            try Data([0x73, 0x74, 0x00, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: checkpoints + "/latest"))
            expected = newest
        case .latestDamagedAndNewestOptimizerFlipped:
            try Data("step-0000000".utf8).write(to: URL(fileURLWithPath: checkpoints + "/latest"))
            try Self.flipByte(checkpoints + "/" + newest + "/optimizer.safetensors") { $0 - 3 }
        case .latestMissingAndNewestStateTruncated:
            try FileManager.default.removeItem(atPath: checkpoints + "/latest")
            let state = URL(fileURLWithPath: checkpoints + "/" + newest + "/state.json")
            try Data(try Data(contentsOf: state).prefix(100)).write(to: state)
        }
        var configuration = try Self.dropoutConfiguration(checkpoints: checkpoints)
        configuration.checkpointDirectory = checkpoints
        let configPath = try Self.writeConfiguration(configuration)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        let (status, output) = try Self.launch(["train", "--config", configPath, "--resume"]).wait()
        #expect(status == 0, "\(output.suffix(2_000))")
        #expect(output.contains("resumed from \(checkpoints)/\(expected)"), "\(output.prefix(2_000))")
        #expect(output.contains("skipped"), "the log names what was skipped")
        if damage == .latestDamagedAndNewestOptimizerFlipped {
            #expect(output.contains("\(newest): \(checkpoints)/\(newest)/optimizer.safetensors: damaged"), "\(output.prefix(2_000))")
        }
        if damage == .latestMissingAndNewestStateTruncated {
            #expect(output.contains("state.json: damaged") && output.contains("latest: missing"), "\(output.prefix(2_000))")
        }
        // The checkpoint it resumed from is kept beside the new final one.
        #expect(Self.steps(checkpoints).contains(expected == newest ? previous : expected))
        try Self.expectMatchesUninterrupted(checkpoints)
    }

    /// A folder whose checkpoints are all damaged is refused, and nothing is pruned.
    @Test func resumeWithNoValidCheckpointIsRefusedAndPrunesNothing() throws {
        let source = try Self.uninterrupted.get()
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        try FileManager.default.copyItem(atPath: source, toPath: checkpoints)
        for step in Self.steps(checkpoints) {
            try Self.flipByte(checkpoints + "/" + step + "/model.safetensors") { $0 - 5 }
        }
        let before = try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted()
        let trainer = try Trainer(configuration: try Self.dropoutConfiguration(checkpoints: checkpoints))
        #expect {
            try trainer.resume()
        } throws: { error in
            "\(error)".contains("no valid checkpoint to resume from") && "\(error)".contains("model.safetensors: damaged")
                && "\(error)".contains("nothing was pruned")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted() == before)
    }

    // MARK: Checksums

    enum CheckpointFile: String, CaseIterable, CustomTestStringConvertible {
        case model = "model.safetensors", optimizer = "optimizer.safetensors", state = "state.json"
        var testDescription: String { rawValue }
    }

    /// A small finished run, trained in this process (its numbers are not compared).
    static let smallRun: Result<String, any Error> = Result {
        let checkpoints = RunnerFixture.temporaryDirectory()
        var configuration = RunnerFixture.configuration(checkpoints: checkpoints)
        configuration.epochs = 1
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        try trainer.train()
        return checkpoints
    }

    /// A copy of the small run's folder.
    static func copyOfSmallRun() throws -> String {
        let checkpoints = RunnerFixture.temporaryDirectory()
        try FileManager.default.copyItem(atPath: try smallRun.get(), toPath: checkpoints)
        return checkpoints
    }

    /// One flipped bit in any file of a checkpoint: every load refuses it, naming the file, and
    /// changes no parameter.
    @Test(arguments: CheckpointFile.allCases)
    func flippedByteIsRefusedNamingTheFile(file: CheckpointFile) throws {
        let checkpoints = try Self.copyOfSmallRun()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        let path = try #require(Checkpoint.latest(in: checkpoints))
        try Checkpoint.verify(path)
        // In the tensor bytes (the header still parses), or mid-JSON.
        try Self.flipByte(path + "/" + file.rawValue) { file == .state ? $0 / 2 : $0 - 3 }
        func refusesNamingTheFile(_ error: any Error) -> Bool {
            "\(error)".contains("\(path)/\(file.rawValue): damaged")
        }
        #expect { try Checkpoint.verify(path) } throws: { refusesNamingTheFile($0) }
        #expect { try TrainedModel.load(checkpoint: checkpoints) } throws: { refusesNamingTheFile($0) }
        let configuration = RunnerFixture.configuration(checkpoints: checkpoints)
        let trainer = try Trainer(configuration: configuration)
        let before = trainer.model.namedParameters().map(\.parameter.scalars)
        switch file {
        case .state:
            #expect { try Checkpoint.readState(path) } throws: { refusesNamingTheFile($0) }
        case .model, .optimizer:
            #expect {
                try Checkpoint.load(path, into: trainer.model, optimizer: trainer.optimizer)
            } throws: { refusesNamingTheFile($0) }
        }
        #expect(trainer.model.namedParameters().map(\.parameter.scalars) == before, "nothing loaded")
        // The only checkpoint is damaged: resume refuses.
        for other in Self.steps(checkpoints) where other != URL(fileURLWithPath: path).lastPathComponent {
            try FileManager.default.removeItem(atPath: checkpoints + "/" + other)
        }
        #expect { try trainer.resume() } throws: { refusesNamingTheFile($0) }
    }

    /// A checkpoint without its checksums cannot be verified and is refused.
    @Test func missingChecksumsAreRefused() throws {
        let checkpoints = try Self.copyOfSmallRun()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        let path = try #require(Checkpoint.latest(in: checkpoints))
        try FileManager.default.removeItem(atPath: path + "/" + Checkpoint.checksumsFile)
        #expect { try Checkpoint.readState(path) } throws: { "\($0)".contains("checksums.json: missing") }
    }

    // MARK: The folder

    /// While one run holds a folder, a second process is refused, naming the folder.
    @Test func secondConcurrentRunIsRefused() throws {
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        var configuration = try Self.dropoutConfiguration(checkpoints: checkpoints)
        configuration.epochs = 50
        let configPath = try Self.writeConfiguration(configuration)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        let first = try Self.launch(["train", "--config", configPath])
        defer {
            kill(first.process.processIdentifier, SIGKILL)
            _ = first.wait()
        }
        let lock = checkpoints + "/" + CheckpointFolder.lockFile
        let deadline = Date().addingTimeInterval(120)
        while first.process.isRunning && Date() < deadline
            && (try? String(contentsOfFile: lock, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                != "\(first.process.processIdentifier)"
        {
            usleep(5_000)
        }
        try #require(first.process.isRunning, "the first run ended early: \(first.output.suffix(2_000))")
        for arguments in [["train", "--config", configPath, "--resume"], ["train", "--config", configPath]] {
            let (status, output) = try Self.launch(arguments).wait()
            #expect(status != 0)
            #expect(output.contains("checkpoint folder \(checkpoints) is in use by another run (process \(first.process.processIdentifier))"), "\(output)")
        }
        #expect(first.process.isRunning, "the first run goes on")
        // In one process, too.
        let held = try CheckpointFolder(directory: checkpoints + "-inprocess")
        defer { try? FileManager.default.removeItem(atPath: checkpoints + "-inprocess") }
        #expect { try CheckpointFolder(directory: checkpoints + "-inprocess") } throws: { "\($0)".contains("is in use by another run") }
        held.release()
        _ = try CheckpointFolder(directory: checkpoints + "-inprocess")
    }

    /// A folder that holds anything is refused to a run without `--resume`, and left as it was.
    @Test func nonEmptyFolderWithoutResumeIsRefused() throws {
        let checkpoints = try Self.copyOfSmallRun()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        let before = try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted()
        var configuration = RunnerFixture.configuration(checkpoints: checkpoints)
        configuration.epochs = 1
        let trainer = try Trainer(configuration: configuration)
        #expect { try trainer.train() } throws: { error in
            "\(error)".contains("checkpoint folder \(checkpoints) is not empty") && "\(error)".contains("pass --resume")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted() == before)
        // The refused run let go of the lock; the command line refuses the same way.
        _ = try CheckpointFolder(directory: checkpoints)
        let configPath = try Self.writeConfiguration(configuration)
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        let (status, output) = try Self.launch(["train", "--config", configPath]).wait()
        #expect(status != 0 && output.contains("is not empty") && output.contains("--resume"), "\(output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted() == before)
        // Another folder, or none, is fine: a new folder is created.
        let fresh = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        let folder = try CheckpointFolder(directory: fresh)
        #expect(folder.contents.isEmpty)
    }

    /// The temporaries of interrupted writes go when a run opens the folder.
    @Test func staleTemporariesAreRemoved() throws {
        let checkpoints = try Self.copyOfSmallRun()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        let staleFolder = checkpoints + "/step-000000099.tmp-999999"
        try FileManager.default.createDirectory(atPath: staleFolder, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: staleFolder + "/model.safetensors"))
        try Data("step-000000099".utf8).write(to: URL(fileURLWithPath: checkpoints + "/latest.tmp-999999-12345"))
        var configuration = RunnerFixture.configuration(checkpoints: checkpoints)
        configuration.epochs = 1
        let trainer = try Trainer(configuration: configuration)
        #expect(try trainer.resume())
        let contents = try FileManager.default.contentsOfDirectory(atPath: checkpoints)
        #expect(!contents.contains { $0.contains(".tmp-") }, "\(contents)")

        // Without the lock, only those of processes no longer alive.
        let loose = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: loose) }
        try FileManager.default.createDirectory(atPath: loose, withIntermediateDirectories: true)
        let alive = "step-000000003.tmp-\(ProcessInfo.processInfo.processIdentifier)"
        let dead = "step-000000006.tmp-\(Int32.max - 1)"
        for name in [alive, dead] { try FileManager.default.createDirectory(atPath: loose + "/" + name, withIntermediateDirectories: true) }
        #expect(CheckpointFolder.removeStaleTemporaries(in: loose, holdingLock: false) == [dead])
        #expect(try FileManager.default.contentsOfDirectory(atPath: loose) == [alive])
    }

    // MARK: Divergence

    /// Logistic regression whose training step writes NaN into its bias after a given step.
    final class PoisonedModel: Module, FunnelModel {
        final class PoisonStep: TrainingStep {
            let after: Int
            var calls = 0
            init(after: Int) { self.after = after }

            func train(_ model: any FunnelModel, on batch: Batch, optimizer: OptimizerGroups, clipNorm: Float?) throws -> Objective {
                let objective = try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: clipNorm)
                calls += 1
                if calls == after, let model = model as? PoisonedModel {
                    model.inner.bias.withUnsafeMutableBufferPointer { $0[0] = .nan }
                }
                return objective
            }
        }

        let inner: LogisticRegression
        let poison: PoisonStep

        init(inner: LogisticRegression, poisonAfter: Int) {
            self.inner = inner
            poison = PoisonStep(after: poisonAfter)
            super.init()
        }

        var requirements: DataRequirements { inner.requirements }
        var evaluationTasks: [EvaluationTask] { inner.evaluationTasks }
        func callAsFunction(_ batch: Batch) throws -> [String: Tensor] { try inner(batch) }
        func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective { try inner.objective(outputs, batch: batch) }
        var trainingStep: (any TrainingStep)? { poison }
    }

    /// A run whose parameters become NaN stops at the step it happens, with the cause, and writes
    /// no checkpoint after it: its last checkpoint (step 7) verifies and loads finite values.
    /// Poisoned after step 10, the loss of step 11 is NaN; after step 14 (a checkpoint step),
    /// the parameters are caught before the checkpoint is written.
    @Test(arguments: [(10, 11, "non-finite logged terms: loss nan"), (14, 14, "parameter 'inner.bias' holds nan")])
    func divergingRunStopsWithTheStepAndKeepsItsLastCheckpoint(poisonAfter: Int, step: Int, cause: String) throws {
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        var configuration = RunnerFixture.configuration(checkpoints: checkpoints)
        configuration.epochs = 1
        let dataset = try Dataset.load(configuration.data)
        let inner = try LogisticRegression(dataset: dataset, configuration: LogisticRegression.Configuration(), seed: configuration.seed)
        let trainer = try Trainer(configuration: configuration, dataset: dataset, model: PoisonedModel(inner: inner, poisonAfter: poisonAfter))
        trainer.logsEvaluations = false
        #expect {
            try trainer.train()
        } throws: { error in
            guard let diverged = error as? TrainingDiverged else { return false }
            return diverged.step == step && diverged.epoch == 1 && diverged.cause.contains(cause)
                && "\(error)".contains("training diverged at step \(step) (epoch 1, batch \(step))")
                && diverged.lastCheckpoint == checkpoints + "/step-000000007"
        }
        let contents = try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted()
        #expect(contents == ["latest", "lock", "step-000000007"])
        let path = try #require(Checkpoint.latest(in: checkpoints))
        #expect(path == checkpoints + "/step-000000007")
        let fresh = PoisonedModel(
            inner: try LogisticRegression(dataset: dataset, configuration: LogisticRegression.Configuration(), seed: 99), poisonAfter: 0)
        try Checkpoint.load(path, into: fresh)
        #expect(fresh.namedParameters().allSatisfy { $0.parameter.scalars.allSatisfy(\.isFinite) })
        #expect(fresh.inner.bias.scalars != [0], "the trained bias was loaded")
        #expect(try Checkpoint.readState(path).step == 7)
    }

    // MARK: SIGKILL

    /// Ten runs, each killed with SIGKILL a seeded random time after it took the folder's lock
    /// (while loading) or after its first new checkpoint (while training or writing a
    /// checkpoint), each resuming the last; a final
    /// resume ends with the uninterrupted run's parameters, and no temporary is left.
    @Test func killedTenTimesAtRandomPointsMatchesTheUninterruptedRun() throws {
        _ = try Self.uninterrupted.get()
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        let configPath = try Self.writeConfiguration(try Self.dropoutConfiguration(checkpoints: checkpoints))
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        var random = RandomGenerator(seed: 13)
        var killedWhileRunning = 0
        var resumedSteps: [Int] = []
        for attempt in 0..<10 {
            let before = Checkpoint.latest(in: checkpoints)
            let run = try Self.launch(["train", "--config", configPath, "--resume"])
            let lock = checkpoints + "/" + CheckpointFolder.lockFile
            let deadline = Date().addingTimeInterval(60)
            while run.process.isRunning && Date() < deadline
                && (try? String(contentsOfFile: lock, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                    != "\(run.process.processIdentifier)"
            {
                usleep(1_000)
            }
            if attempt % 2 == 1 {
                // After the run's first new checkpoint: mid-training or mid-write.
                while run.process.isRunning && Date() < deadline && Checkpoint.latest(in: checkpoints) == before { usleep(1_000) }
                usleep(UInt32.random(in: 0...400_000, using: &random))
            } else {
                // Anywhere from loading the checkpoint on.
                usleep(UInt32.random(in: 0...900_000, using: &random))
            }
            if run.process.isRunning {
                kill(run.process.processIdentifier, SIGKILL)
                killedWhileRunning += 1
            }
            let (_, output) = run.wait()
            if let line = output.split(separator: "\n").first(where: { $0.contains("resumed from") }),
                let step = line.split(separator: " ").firstIndex(of: "at").map({ line.split(separator: " ")[$0 + 2] })
            {
                resumedSteps.append(Int(step) ?? -1)
            }
        }
        #expect(killedWhileRunning >= 8, "most kills land mid-run")
        #expect(resumedSteps.count >= 8 && resumedSteps == resumedSteps.sorted(), "each run went on from the last: \(resumedSteps)")
        let (status, output) = try Self.launch(["train", "--config", configPath, "--resume"]).wait()
        #expect(status == 0, "\(output.suffix(2_000))")
        try Self.expectMatchesUninterrupted(checkpoints)
        let contents = try FileManager.default.contentsOfDirectory(atPath: checkpoints)
        #expect(!contents.contains { $0.contains(".tmp-") }, "\(contents)")
        #expect(Self.steps(checkpoints).count == 2)
    }
}
