import Foundation
import FunnelModels
import FunnelNN
import Testing

@testable import FunnelTraining

/// A run killed with SIGKILL mid-epoch and resumed ends with the parameters of an uninterrupted
/// run with the same seed — for models that draw random numbers while training: dropout (the
/// MLP) and dropout with sampled negatives (the two-tower model).
@Suite struct ResumeTests {
    /// The `funnel` executable SwiftPM built beside the test bundle.
    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("funnel").path
    }

    /// Starts the executable with its output discarded.
    private func launch(_ executable: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func parameters(_ checkpoint: String) throws -> [String: SafeTensors.Entry] {
        let file = checkpoint + "/model.safetensors"
        return try SafeTensors.decode(Data(contentsOf: URL(fileURLWithPath: file)), file: file).entries
    }

    static let randomModels: [(ModelKind, String)] = [
        (.mlp, #"{"dropout": 0.3}"#), (.twoTower, #"{"dropout": 0.3, "negatives": 4}"#),
    ]

    @Test(arguments: randomModels)
    func killedAndResumedRunMatchesAnUninterruptedOne(model: ModelKind, modelConfiguration: String) throws {
        let funnel = Self.executable
        try #require(FileManager.default.isExecutableFile(atPath: funnel), "the funnel executable is not at \(funnel); `swift build --build-tests` builds it")
        let killed = RunnerFixture.temporaryDirectory()
        let uninterrupted = RunnerFixture.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: killed)
            try? FileManager.default.removeItem(atPath: uninterrupted)
        }
        var configuration = RunnerFixture.configuration(model: model, checkpoints: killed)
        configuration.modelConfiguration = try JSONDecoder().decode(JSONValue.self, from: Data(modelConfiguration.utf8))
        configuration.epochs = 6
        configuration.threads = 1
        try FileManager.default.createDirectory(atPath: killed, withIntermediateDirectories: true)
        let configPath = killed + ".json"
        defer { try? FileManager.default.removeItem(atPath: configPath) }
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: configPath))

        // Start, wait for the first checkpoint, kill without warning.
        let process = try launch(funnel, ["train", "--config", configPath])
        let deadline = Date().addingTimeInterval(120)
        while Checkpoint.latest(in: killed) == nil && process.isRunning && Date() < deadline { usleep(2_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let interrupted = try Checkpoint.readState(try #require(Checkpoint.latest(in: killed)))
        #expect(!interrupted.finished, "the run finished before it could be killed")
        #expect(interrupted.nextBatch > 0, "killed mid-epoch")

        // Resume to the end.
        let resume = try launch(funnel, ["train", "--config", configPath, "--resume"])
        resume.waitUntilExit()
        #expect(resume.terminationStatus == 0)

        // The same run without interruption, also in its own process: tests running beside this
        // one switch the kernels' CPU path and thread count process-wide.
        configuration.checkpointDirectory = uninterrupted
        let straightConfig = uninterrupted + ".json"
        defer { try? FileManager.default.removeItem(atPath: straightConfig) }
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: straightConfig))
        let straightRun = try launch(funnel, ["train", "--config", straightConfig])
        straightRun.waitUntilExit()
        #expect(straightRun.terminationStatus == 0)

        let resumedState = try Checkpoint.readState(try #require(Checkpoint.latest(in: killed)))
        let straightState = try Checkpoint.readState(try #require(Checkpoint.latest(in: uninterrupted)))
        #expect(resumedState.finished && resumedState.step == straightState.step)
        let resumed = try parameters(try #require(Checkpoint.latest(in: killed)))
        let straight = try parameters(try #require(Checkpoint.latest(in: uninterrupted)))
        #expect(resumed.keys.sorted() == straight.keys.sorted())
        for (name, entry) in straight {
            guard case .float32(let expected) = entry.values, case .float32(let actual) = resumed[name]?.values else {
                Issue.record("\(name) missing")
                continue
            }
            let difference = zip(expected, actual).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(difference == 0, "\(name) differs by \(difference)")
        }
    }
}
