import Foundation
import FunnelServer
import FunnelTraining
import FunnelTestSupport
import Testing

/// Hot reload of ``ScoringServer``: a newer checkpoint is swapped in while clients keep
/// sending, no request fails, and a corrupt one leaves the old model serving.
@Suite(.serialized)
struct ScoringServerReloadTests {
    /// A copy of the first run's checkpoint directory, to add checkpoints to.
    private func copyOfFirstRun() throws -> (directory: String, runs: (data: String, first: String, second: String)) {
        let runs = try ScoringServerTests.runs.get()
        let directory = NSTemporaryDirectory() + "funnel-reload-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: runs.first, toPath: directory)
        try? FileManager.default.removeItem(atPath: directory + "/lock")
        return (directory, runs)
    }

    /// Copies the checkpoint folder `source` into `directory` as `name` and points `latest` at it
    /// (written to a temporary name, then renamed, as the trainer does).
    private func publish(_ source: String, as name: String, in directory: String) throws {
        try FileManager.default.copyItem(atPath: source, toPath: directory + "/" + name)
        try Data(name.utf8).write(to: URL(fileURLWithPath: directory + "/latest.tmp"))
        _ = rename(directory + "/latest.tmp", directory + "/latest")
    }

    @Test func swapsToANewerCheckpointUnderLoadWithoutAFailedRequest() async throws {
        let (directory, runs) = try copyOfFirstRun()
        let rows = try ScoringServerTests.testRows(runs.data, count: 20)
        let body = #"{"rows": [\#(rows.joined(separator: ","))]}"#
        let second = try TrainedModel.load(checkpoint: runs.second)
        let expected = try second.evaluate(split: "test").scores
        var limits = ServingLimits()
        limits.reloadInterval = .milliseconds(50)
        let server = try ScoringServer(checkpoint: directory, port: 0, limits: limits)
        try await server.start()
        let url = try #require(server.url)
        let before = server.serving
        // Four clients send until each has seen the new checkpoint answer twice.
        let outcomes = try await withThrowingTaskGroup(of: (failures: Int, sent: Int, last: Data).self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var failures = 0
                    var sent = 0
                    var newer = 0
                    var last = Data()
                    while newer < 2 && sent < 2000 {
                        let reply = try await HTTPTestClient.send(url, "/v1/score", body: body)
                        sent += 1
                        if reply.status != 200 { failures += 1 }
                        if (HTTPTestClient.object(reply.body)?["checkpoint"] as? String) == "step-000000999" {
                            newer += 1
                            last = reply.body
                        }
                    }
                    return (failures, sent, last)
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            try publish(second.checkpoint, as: "step-000000999", in: directory)
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0.failures == 0 })
        #expect(server.serving.checkpoint == "step-000000999" && before.checkpoint != "step-000000999")
        let metrics = String(decoding: try await HTTPTestClient.send(url, "/metrics", method: "GET").body, as: UTF8.self)
        #expect(metrics.contains("funnel_reloads_total 1") && metrics.contains("funnel_model_step \(Double(second.step))"), "\(metrics)")
        for outcome in outcomes {
            let served = ScoringServerTests.scores(outcome.last)
            #expect(served.count == 20)
            for (row, score) in served.enumerated() {
                #expect(abs(score - expected[row]) <= 1e-6)
            }
        }
        await server.stop()
    }

    @Test func aCorruptCheckpointKeepsTheOldModelServing() async throws {
        let (directory, runs) = try copyOfFirstRun()
        let server = try ScoringServer(checkpoint: directory, port: 0)
        try await server.start()
        let url = try #require(server.url)
        let before = server.serving
        let body = #"{"rows": [\#(try ScoringServerTests.testRows(runs.data, count: 3).joined(separator: ","))]}"#
        let reference = try await HTTPTestClient.send(url, "/v1/score", body: body)
        // A newer checkpoint whose parameters were damaged after its checksums were written.
        let damaged = directory + "/step-000000998"
        try FileManager.default.copyItem(atPath: TrainedModel.load(checkpoint: runs.second).checkpoint, toPath: damaged)
        let parameters = try #require(
            try FileManager.default.contentsOfDirectory(atPath: damaged).first { $0.hasSuffix(".safetensors") })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: damaged + "/" + parameters))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: damaged + "/" + parameters))
        try Data("step-000000998".utf8).write(to: URL(fileURLWithPath: directory + "/latest"))
        // Two reloads at once (and the watcher's): the damaged checkpoint is tried once.
        async let first: Void = server.reloadNow()
        async let second: Void = server.reloadNow()
        _ = await (first, second)
        #expect(server.serving == before)
        let after = try await HTTPTestClient.send(url, "/v1/score", body: body)
        #expect(after.status == 200 && ScoringServerTests.scores(after.body) == ScoringServerTests.scores(reference.body))
        let metrics = String(decoding: try await HTTPTestClient.send(url, "/metrics", method: "GET").body, as: UTF8.self)
        #expect(metrics.contains(#"funnel_errors_total{kind="reload_failed"} 1"#))
        // Pointing `latest` at a good checkpoint again reloads.
        try FileManager.default.copyItem(atPath: TrainedModel.load(checkpoint: runs.second).checkpoint, toPath: directory + "/step-000000999")
        try Data("step-000000999".utf8).write(to: URL(fileURLWithPath: directory + "/latest"))
        await server.reloadNow()
        #expect(server.serving.checkpoint == "step-000000999")
        await server.stop()
    }
}
