import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelSimulation
import FunnelTestSupport
import Testing

@testable import FunnelTraining

/// Data-parallel training under `mpirun`: two ranks, each training on its half of every global
/// batch and summing the gradients in rank order, end with the parameters of one process
/// trained on the whole batches — ESMM, and BASE with its sequence features — and a two-rank
/// run killed with SIGKILL resumes on two ranks and on one. Summation order differs (each rank
/// adds its own rows first), so the comparison allows a relative difference of 1e-4 (measured:
/// about 5e-6 after an epoch of SGD). Skipped with a printed reason without Open MPI, never in
/// CI (``MPIRun``); the same run across two network namespaces joined by a veth pair where they
/// can be made (``VethHosts``).
@Suite(.serialized) struct DataParallelTests {
    /// A small funnel world (clicks and conversions) for ESMM.
    static let funnelWorld: String = {
        let path = NSTemporaryDirectory() + "funnel-dp-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try! ScenarioKind.funnel.simulate(users: 1_000, days: 4, seed: 3, knobs: [:]).write(to: path)
        return path
    }()

    /// Writes an SGD configuration (one thread unless told) beside `checkpoints` and returns its path.
    private func configuration(
        _ model: ModelKind, data: String, checkpoints: String, epochs: Int = 1, checkpointEvery: Int = 1_000,
        modelConfiguration: JSONValue? = nil, batchSize: Int = 128, clipNorm: Float? = nil, threads: Int = 1
    ) throws -> String {
        var configuration = TrainingConfiguration(data: data, model: model)
        configuration.epochs = epochs
        configuration.batchSize = batchSize
        configuration.optimizer.clipNorm = clipNorm
        configuration.threads = threads
        configuration.seed = 5
        configuration.optimizer.kind = .sgd
        configuration.optimizer.learningRate = 0.1
        configuration.checkpointDirectory = checkpoints
        configuration.checkpointEvery = checkpointEvery
        configuration.modelConfiguration = modelConfiguration
        let path = checkpoints + ".json"
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `funnel train` on `ranks` ranks (0: a plain process, no launcher), waited for.
    private func train(_ launcher: String, ranks: Int, _ arguments: [String]) throws -> Int32 {
        let process = try MPIRun.launch(launcher, ranks: ranks, MPIRun.funnel, ["train"] + arguments)
        process.waitUntilExit()
        return process.terminationStatus
    }

    private func parameters(_ folder: String) throws -> [String: [Float]] {
        let file = try #require(Checkpoint.latest(in: folder)) + "/model.safetensors"
        return try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: file)), file: file).entries.compactMapValues {
            if case .float32(let values) = $0.values { return values }
            return nil
        }
    }

    /// The parameters of a checkpoint folder's newest checkpoint as a process alone loads them
    /// (tables split over ranks gathered whole).
    private func loadedParameters(_ folder: String) throws -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: try TrainedModel.load(checkpoint: folder).model.namedParameters().map { ($0.name, $0.parameter.scalars) })
    }

    /// Every parameter within 1e-4 of the reference, relative (values below 1e-3 absolute).
    private func expectClose(_ actual: [String: [Float]], _ expected: [String: [Float]], _ label: String) {
        #expect(actual.keys.sorted() == expected.keys.sorted(), "\(label): parameter names")
        for (name, reference) in expected {
            let values = actual[name] ?? []
            let worst = zip(values, reference).map { Swift.abs($0 - $1) / Swift.max(1e-3, Swift.abs($1)) }.max() ?? 0
            #expect(values.count == reference.count && worst <= 1e-4, "\(label): \(name) differs by \(worst) (relative)")
        }
    }

    /// ESMM and BASE with their tables whole on every rank, and BASE with its item, category
    /// and feature tables split over the ranks (`--shard-embeddings all`) on two threads per
    /// rank (its branches then run their lookups in order). The naive CVR model's CVR term, a
    /// mean over the clicked rows (``Objective/Task/rows``), weighs each rank by its share of
    /// those rows (USD's terms take the same path; measured, not run here for CI's time).
    static let models: [(ModelKind, String, Bool)] = [
        (.esmm, "funnel", false), (.base, "homepage", false), (.base, "homepage", true), (.naiveCVR, "funnel", false),
    ]

    @Test(arguments: models)
    func twoRanksReachTheSingleProcessParameters(model: ModelKind, world: String, sharded: Bool) throws {
        guard let launcher = MPIRun.required() else { return }
        let data = world == "funnel" ? Self.funnelWorld : RunnerFixture.data
        let lengths: JSONValue = .object(["longLength": .number(20), "shortLength": .number(5), "retrieved": .number(8)])
        let sequences: JSONValue? = model == .base ? lengths : nil
        let (alone, together) = (RunnerFixture.temporaryDirectory(), RunnerFixture.temporaryDirectory())
        defer {
            for path in [alone, together, alone + ".json", together + ".json"] { try? FileManager.default.removeItem(atPath: path) }
        }
        let threads = sharded ? 2 : 1
        let aloneConfiguration = try configuration(model, data: data, checkpoints: alone, modelConfiguration: sequences, threads: threads)
        let togetherConfiguration = try configuration(model, data: data, checkpoints: together, modelConfiguration: sequences, threads: threads)
        #expect(try train(launcher, ranks: 0, ["--config", aloneConfiguration]) == Int32(0))
        #expect(try train(launcher, ranks: 2, ["--config", togetherConfiguration, "--shard-embeddings", sharded ? "all" : "none"]) == Int32(0))
        // Rank 0 alone writes the checkpoints.
        let state = try Checkpoint.readState(try #require(Checkpoint.latest(in: together)))
        let aloneState = try Checkpoint.readState(try #require(Checkpoint.latest(in: alone)))
        #expect(state.finished && state.step == aloneState.step)
        guard !sharded else {
            let layout = try JSONDecoder().decode(
                ShardFiles.Layout.self, from: Data(contentsOf: URL(fileURLWithPath: try #require(Checkpoint.latest(in: together)) + "/shards.json")))
            #expect(layout.tables.count == 3, "the item, category and feature tables split")
            expectClose(try loadedParameters(together), try loadedParameters(alone), "base with its tables split over 2 ranks")
            return
        }
        expectClose(try parameters(together), try parameters(alone), "\(model.rawValue) on 2 ranks")
        guard model == .esmm || model == .base else { return }
        // Evaluation with the batches' forward passes shared by 2 and 3 ranks: the same metrics
        // to the bit (several batches of 4,096 rows: the ranks take turns).
        let single = try evaluation(launcher, ranks: 0, checkpoint: alone)
        #expect(!single.isEmpty)
        #expect(try evaluation(launcher, ranks: 2, checkpoint: alone) == single)
        #expect(try evaluation(launcher, ranks: 3, checkpoint: alone) == single)
    }

    /// `funnel evaluate --json` of a checkpoint folder, alone (0) or on `ranks` ranks: what it printed.
    private func evaluation(_ launcher: String, ranks: Int, checkpoint: String) throws -> Data {
        let output = Pipe()
        let process = try MPIRun.launch(
            launcher, ranks: ranks, MPIRun.funnel, ["evaluate", "--checkpoint", checkpoint, "--json"], output: output)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return data
    }

    /// The two ranks in two network namespaces joined by a veth pair, MPI over TCP between them
    /// (``VethHosts``): the same parameters as one process, with the table whole on each rank
    /// and split over them. Skipped with the reason where namespaces cannot be made.
    @Test(arguments: [false, true])
    func twoRanksAcrossAVethPairReachTheSingleProcessParameters(sharded: Bool) throws {
        guard let launcher = MPIRun.required() else { return }
        guard let hosts = VethHosts.madeOrSkipped() else { return }
        defer { hosts.remove() }
        let (alone, apart) = (RunnerFixture.temporaryDirectory(), RunnerFixture.temporaryDirectory())
        defer {
            for path in [alone, apart, alone + ".json", apart + ".json"] { try? FileManager.default.removeItem(atPath: path) }
        }
        #expect(try train(launcher, ranks: 0, ["--config", try configuration(.esmm, data: Self.funnelWorld, checkpoints: alone)]) == Int32(0))
        let run = try hosts.launch(
            launcher, MPIRun.funnel,
            ["train", "--config", try configuration(.esmm, data: Self.funnelWorld, checkpoints: apart), "--shard-embeddings", sharded ? "all" : "none"])
        run.waitUntilExit()
        #expect(run.terminationStatus == 0)
        expectClose(try loadedParameters(apart), try loadedParameters(alone), "esmm on 2 ranks across a veth pair\(sharded ? ", its table split" : "")")
    }

    @Test func aKilledTwoRankRunResumesOnTwoRanksAndOnOne() throws {
        guard let launcher = MPIRun.required() else { return }
        let (killed, straight) = (RunnerFixture.temporaryDirectory(), RunnerFixture.temporaryDirectory())
        let copy = killed + "-copy"
        defer {
            for path in [killed, straight, copy, killed + ".json", straight + ".json"] {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        let killedConfiguration = try configuration(.esmm, data: Self.funnelWorld, checkpoints: killed, epochs: 3, checkpointEvery: 4)
        let straightConfiguration = try configuration(.esmm, data: Self.funnelWorld, checkpoints: straight, epochs: 3, checkpointEvery: 4)
        #expect(try train(launcher, ranks: 0, ["--config", straightConfiguration]) == Int32(0))

        // Two ranks until the first checkpoint, then both killed without warning.
        try killAfterFirstCheckpoint(launcher, ranks: 2, ["train", "--config", killedConfiguration], folder: killed)
        try FileManager.default.copyItem(atPath: killed, toPath: copy)

        #expect(try train(launcher, ranks: 2, ["--config", killedConfiguration, "--resume"]) == Int32(0))
        #expect(try train(launcher, ranks: 0, ["--config", killedConfiguration, "--checkpoint-directory", copy, "--resume"]) == Int32(0))
        let reference = try parameters(straight)
        expectClose(try parameters(killed), reference, "resumed on 2 ranks")
        expectClose(try parameters(copy), reference, "resumed on 1 rank")
    }

    /// A table split over the ranks (row-wise sharding): ESMM's embedding table, too large for
    /// one rank's memory budget, trains on 3 ranks — every lookup fetching its rows and every
    /// gradient row reaching its owner, with gradient clipping over the shards' norms and a last
    /// batch of one or two rows (the ranks without one run a stand-in; the evaluation's single
    /// batch likewise) — to the single process's parameters; alone, the same budget is refused
    /// with the ranks it needs.
    @Test func aTableOverOneRanksMemoryBudgetTrainsSplitOverThreeRanks() throws {
        guard let launcher = MPIRun.required() else { return }
        let trainRows = try Dataset.load(Self.funnelWorld).splits["train"]!.rowCount
        let batchSize = try #require((100..<trainRows / 2).first { (1...2).contains(trainRows % $0) }, "\(trainRows) training rows")
        let (alone, refused, split) = (RunnerFixture.temporaryDirectory(), RunnerFixture.temporaryDirectory(), RunnerFixture.temporaryDirectory())
        defer {
            for path in [alone, refused, split].flatMap({ [$0, $0 + ".json"] }) { try? FileManager.default.removeItem(atPath: path) }
        }
        func configured(_ folder: String) throws -> String {
            try configuration(
                .esmm, data: Self.funnelWorld, checkpoints: folder, epochs: 3, batchSize: batchSize, clipNorm: 0.5)
        }
        #expect(try train(launcher, ranks: 0, ["--config", try configured(alone)]) == Int32(0))
        let table = try #require(try loadedParameters(alone).first { $0.key.hasSuffix("embedding.tables.0.table") })
        // SGD keeps no state: the table's values are all it costs. A budget of 60 % of it fits a
        // third of the rows, not all of them.
        let budget = String(Double(table.value.count * 4) * 0.6 / 1_048_576)
        let output = Pipe()
        let lone = try MPIRun.launch(
            launcher, ranks: 0, MPIRun.funnel, ["train", "--config", try configured(refused), "--memory-budget", budget], output: output,
            errors: output)
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        lone.waitUntilExit()
        #expect(lone.terminationStatus != 0 && said.contains("over the memory budget") && said.contains("mpirun -np 2"), "\(said)")

        #expect(try train(launcher, ranks: 3, ["--config", try configured(split), "--memory-budget", budget]) == Int32(0))
        let checkpoint = try #require(Checkpoint.latest(in: split))
        let layout = try JSONDecoder().decode(ShardFiles.Layout.self, from: Data(contentsOf: URL(fileURLWithPath: checkpoint + "/shards.json")))
        #expect(layout.ranks == 3 && layout.tables.map(\.name) == [table.key])
        expectClose(try loadedParameters(split), try loadedParameters(alone), "esmm with its table split over 3 ranks")
    }

    /// A two-rank run with its table split is killed with SIGKILL after its first checkpoint and
    /// resumes with the table split over 3 ranks, and from a copy on one process (the shard
    /// files read into a whole table): both end with the uninterrupted single process's parameters.
    @Test func aKilledShardedRunResumesSplitOverThreeRanksAndWholeOnOne() throws {
        guard let launcher = MPIRun.required() else { return }
        let (killed, straight) = (RunnerFixture.temporaryDirectory(), RunnerFixture.temporaryDirectory())
        let copy = killed + "-copy"
        defer {
            for path in [killed, straight, copy, killed + ".json", straight + ".json"] { try? FileManager.default.removeItem(atPath: path) }
        }
        let killedConfiguration = try configuration(.esmm, data: Self.funnelWorld, checkpoints: killed, epochs: 3, checkpointEvery: 4)
        #expect(try train(launcher, ranks: 0, ["--config", try configuration(.esmm, data: Self.funnelWorld, checkpoints: straight, epochs: 3)]) == Int32(0))
        try killAfterFirstCheckpoint(launcher, ranks: 2, ["train", "--config", killedConfiguration, "--shard-embeddings", "all"], folder: killed)
        let interrupted = try #require(Checkpoint.latest(in: killed))
        #expect(FileManager.default.fileExists(atPath: interrupted + "/shards/rank-00001-of-00002.safetensors"))
        try FileManager.default.copyItem(atPath: killed, toPath: copy)

        #expect(try train(launcher, ranks: 3, ["--config", killedConfiguration, "--resume", "--shard-embeddings", "all"]) == Int32(0))
        #expect(try train(launcher, ranks: 0, ["--config", killedConfiguration, "--checkpoint-directory", copy, "--resume"]) == Int32(0))
        let reference = try loadedParameters(straight)
        expectClose(try loadedParameters(killed), reference, "resumed split over 3 ranks")
        expectClose(try loadedParameters(copy), reference, "resumed whole on 1 rank")
    }

    /// Launches a run and kills its ranks with SIGKILL once it has written a checkpoint in
    /// `folder`; expects it not to have finished.
    private func killAfterFirstCheckpoint(_ launcher: String, ranks: Int, _ arguments: [String], folder: String) throws {
        let run = try MPIRun.launch(launcher, ranks: ranks, MPIRun.funnel, arguments)
        let deadline = Date().addingTimeInterval(120)
        while Checkpoint.latest(in: folder) == nil && run.isRunning && Date() < deadline { usleep(2_000) }
        for rank in Self.processes(mentioning: folder) { kill(rank, SIGKILL) }
        run.waitUntilExit()
        let interrupted = try Checkpoint.readState(try #require(Checkpoint.latest(in: folder)))
        #expect(!interrupted.finished, "the run finished before it could be killed")
    }

    /// The process ids whose command line mentions `text` (the ranks of one run, not mpirun).
    static func processes(mentioning text: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let line = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let arguments = line.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.contains(where: { $0.contains(text) }), !(arguments.first ?? "").hasSuffix("mpirun") else { return nil }
            return arguments.first.map { $0.hasSuffix("funnel") } == true ? pid : nil
        }
    }
}
