import Foundation
import FunnelData
import FunnelModels
import FunnelServer
import FunnelSimulation
import FunnelTraining
import FunnelTestSupport
import Testing

/// ``ScoringServer`` on 127.0.0.1 and a free port, over an ESMM trained on a simulated funnel:
/// its scores are `funnel predict`'s, every bad request is refused with the field named, and
/// hot reload swaps checkpoints under load without a failed request.
@Suite(.serialized)
struct ScoringServerTests {
    /// Two ESMM runs over one world: checkpoint directories `first` and `second` (another seed).
    static let runs = Result { try trainTwoRuns() }

    static func trainTwoRuns() throws -> (data: String, first: String, second: String) {
        let root = NSTemporaryDirectory() + "funnel-serve-\(UUID().uuidString)"
        let data = root + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try ScenarioKind.funnel.simulate(users: 400, days: 4, seed: 8).write(to: data)
        for (name, seed) in [("first", UInt64(0)), ("second", 1)] {
            var configuration = TrainingConfiguration(data: data, model: .esmm)
            configuration.batchSize = 256
            configuration.seed = seed
            configuration.threads = 1
            configuration.checkpointDirectory = root + "/" + name
            let trainer = try Trainer(configuration: configuration)
            trainer.logsEvaluations = false
            _ = try trainer.train()
        }
        return (data, root + "/first", root + "/second")
    }

    /// The test split's first `count` rows as JSON objects (identity vocabularies: raw = id).
    static func testRows(_ data: String, count: Int) throws -> [String] {
        let test = try Dataset.load(data).split("test")
        let users = try #require(test.column("user")?.values.ids)
        let items = try #require(test.column("item")?.values.ids)
        return (0..<count).map { #"{"user": \#(users[$0]), "item": "\#(items[$0])"}"# }
    }

    private func withServer(
        _ checkpoint: String, limits: ServingLimits = ServingLimits(), _ body: (ScoringServer, URL) async throws -> Void
    ) async throws {
        let server = try ScoringServer(checkpoint: checkpoint, port: 0, limits: limits)
        try await server.start()
        let url = try #require(server.url)
        do {
            try await body(server, url)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// The `ctcvr` score of every row of a `/v1/score` reply.
    static func scores(_ body: Data, _ name: String = "ctcvr") -> [Double] {
        (HTTPTestClient.object(body)?["scores"] as? [[String: Any]])?.compactMap { ($0[name] as? NSNumber)?.doubleValue } ?? []
    }

    @Test func scoresArePredictsUnderConcurrentRequests() async throws {
        let runs = try Self.runs.get()
        let predicted = try TrainedModel.load(checkpoint: runs.first).evaluate(split: "test").scores
        let rows = try Self.testRows(runs.data, count: 300)
        try await withServer(runs.first) { server, url in
            // Requests of 1 to 228 rows at once, so the queue scores several together.
            let sizes = [1, 7, 64, 228]
            let starts = sizes.indices.map { sizes[..<$0].reduce(0, +) }
            let replies = try await withThrowingTaskGroup(of: (Int, Int, Data).self) { group in
                for (start, size) in zip(starts, sizes) {
                    let body = #"{"rows": [\#(rows[start..<(start + size)].joined(separator: ","))]}"#
                    group.addTask {
                        let reply = try await HTTPTestClient.send(url, "/v1/score", body: body)
                        return (start, reply.status, reply.body)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (start, status, body) in replies {
                #expect(status == 200)
                let served = Self.scores(body)
                #expect(served.count == sizes[starts.firstIndex(of: start)!])
                for (offset, score) in served.enumerated() {
                    #expect(abs(score - predicted[start + offset]) <= 1e-6, "row \(start + offset)")
                }
                let object = try #require(HTTPTestClient.object(body))
                #expect(object["model"] as? String == "esmm" && object["checkpoint"] as? String == server.serving.checkpoint)
                #expect(object["outputs"] as? [String] == ["ctr", "cvr", "ctcvr"])
                #expect((object["protocol"] as? [String: String])?["ctcvr"] == "σ(ctr)·σ(cvr)")
            }
            // An unseen user takes the out-of-vocabulary id as in training: still scored.
            let unseen = try await HTTPTestClient.send(url, "/v1/score", body: #"{"rows": [{"user": 399, "item": 1}]}"#)
            #expect(unseen.status == 200 && Self.scores(unseen.body).count == 1)
            let metrics = try await HTTPTestClient.send(url, "/metrics", method: "GET")
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(text.contains(#"funnel_requests_total{route="score",status="200"} 5"#))
            #expect(text.contains("funnel_batch_rows_count") && text.contains("funnel_model_step"))
            #expect(text.contains("funnel_request_duration_seconds_bucket"))
            let health = try await HTTPTestClient.send(url, "/healthz", method: "GET")
            let ready = try await HTTPTestClient.send(url, "/readyz", method: "GET")
            #expect(health.status == 200 && ready.status == 200)
        }
    }

    @Test func aBadRequestInABatchFailsAlone() async throws {
        let runs = try Self.runs.get()
        let predicted = try TrainedModel.load(checkpoint: runs.first).evaluate(split: "test").scores
        let rows = try Self.testRows(runs.data, count: 4)
        var limits = ServingLimits()
        // Long enough that the three requests below are scored as one batch, also on a machine
        // busy with other tests (300 ms once split them in two there).
        limits.batchDelay = .seconds(2)
        try await withServer(runs.first, limits: limits) { _, url in
            let bodies = [
                #"{"rows": [\#(rows[0]), \#(rows[1])]}"#,
                #"{"rows": [\#(rows[2]), {"user": 1, "item": "nine"}]}"#,
                #"{"rows": [\#(rows[3])]}"#,
            ]
            let replies = try await withThrowingTaskGroup(of: (Int, (status: Int, body: Data)).self) { group in
                for (index, body) in bodies.enumerated() {
                    group.addTask { (index, try await HTTPTestClient.send(url, "/v1/score", body: body)) }
                }
                return try await group.reduce(into: [Int: (status: Int, body: Data)]()) { $0[$1.0] = $1.1 }
            }
            #expect(replies[0]?.status == 200 && replies[2]?.status == 200)
            #expect(zip(Self.scores(replies[0]!.body), predicted[0..<2]).allSatisfy { abs($0 - $1) <= 1e-6 })
            #expect(zip(Self.scores(replies[2]!.body), predicted[3..<4]).allSatisfy { abs($0 - $1) <= 1e-6 })
            #expect(replies[1]?.status == 400)
            #expect(HTTPTestClient.error(replies[1]!.body).message?.hasPrefix(#"rows[1].item: expected an id"#) == true)
            let metrics = String(decoding: try await HTTPTestClient.send(url, "/metrics", method: "GET").body, as: UTF8.self)
            #expect(metrics.contains("funnel_batch_rows_count 1"), "\(metrics)")
        }
    }

    @Test func aFullQueueAndALongWaitAreRefusedWith503() async throws {
        let runs = try Self.runs.get()
        let rows = try Self.testRows(runs.data, count: 2).joined(separator: ",")
        var limits = ServingLimits()
        // Whichever request comes first waits 2 s for company, holding two of three queue
        // places: the other is refused at once.
        limits.batchDelay = .seconds(2)
        limits.maximumQueuedRows = 3
        try await withServer(runs.first, limits: limits) { _, url in
            async let first = HTTPTestClient.send(url, "/v1/score", body: #"{"rows": [\#(rows)]}"#)
            async let second = HTTPTestClient.send(url, "/v1/score", body: #"{"rows": [\#(rows)]}"#)
            let replies = try await [first, second].sorted { $0.status < $1.status }
            #expect(replies.map(\.status) == [200, 503])
            #expect(HTTPTestClient.error(replies[1].body).type == "busy")
            #expect(HTTPTestClient.error(replies[1].body).message?.contains("2 rows waiting") == true)
        }
        // A request that waits longer than its timeout is answered without being scored.
        limits.batchDelay = .milliseconds(400)
        limits.timeout = .milliseconds(100)
        limits.maximumQueuedRows = 100
        try await withServer(runs.first, limits: limits) { _, url in
            let late = try await HTTPTestClient.send(url, "/v1/score", body: #"{"rows": [\#(rows)]}"#)
            #expect(late.status == 503 && HTTPTestClient.error(late.body).type == "timeout")
            let metrics = String(decoding: try await HTTPTestClient.send(url, "/metrics", method: "GET").body, as: UTF8.self)
            #expect(metrics.contains(#"funnel_errors_total{kind="timeout"} 1"#))
        }
    }

    @Test func refusesBadRequestsNamingTheField() async throws {
        let runs = try Self.runs.get()
        var limits = ServingLimits()
        limits.maximumRows = 3
        limits.maximumBodyBytes = 2048
        try await withServer(runs.first, limits: limits) { _, url in
            func refusal(_ body: String) async throws -> (status: Int, message: String) {
                let reply = try await HTTPTestClient.send(url, "/v1/score", body: body)
                return (reply.status, HTTPTestClient.error(reply.body).message ?? "")
            }
            let malformed = try await refusal(#"{"rows": [{"user": 1, "item": 2}"#)
            #expect(malformed.status == 400 && malformed.message == "the body is not valid JSON: expected ',' or ']' at byte 32, found the end of the body")
            let stray = try await refusal(#"{"rows": [{"user": 1,, "item": 2}]}"#)
            #expect(stray.message == "the body is not valid JSON: expected a member name in quotes at byte 21, found ','")
            let missing = try await refusal(#"{"rows": [{"user": 1, "item": 2}, {"user": 1}]}"#)
            #expect(missing.status == 400 && missing.message == "rows[1].item: missing; the model reads this column")
            let wrongType = try await refusal(#"{"rows": [{"user": 1, "item": {"id": 2}}]}"#)
            #expect(wrongType.status == 400 && wrongType.message.hasPrefix("rows[0].item: expected a string, a number"))
            let outOfRange = try await refusal(#"{"rows": [{"user": 1, "item": -4}]}"#)
            #expect(outOfRange.status == 400 && outOfRange.message.hasPrefix(#"rows[0].item: expected an id in 0..<2000"#))
            let unknown = try await refusal(#"{"rows": [{"user": 1, "item": 2, "colour": "red"}]}"#)
            #expect(unknown.status == 400 && unknown.message.hasPrefix("rows[0].colour: not a column"))
            let noRows = try await refusal(#"{"row": []}"#)
            #expect(noRows.status == 400 && noRows.message.contains("'rows'"))
            let notAnArray = try await refusal(#"{"rows": 5}"#)
            #expect(notAnArray.status == 400 && notAnArray.message == "'rows' must be an array of objects")
            let notAnObject = try await refusal(#"{"rows": [[1, 2]]}"#)
            #expect(notAnObject.status == 400 && notAnObject.message == "'rows[0]' must be an object of column values")
            // A number is the text it is written with, as a file's field: 7.0 is no integer id.
            let decimal = try await refusal(#"{"rows": [{"user": 1, "item": 7.0}]}"#)
            #expect(decimal.status == 400 && decimal.message.hasPrefix(#"rows[0].item: expected an id in 0..<2000"#) && decimal.message.hasSuffix(#"found "7.0""#))
            let tooMany = try await refusal(#"{"rows": [\#(Array(repeating: #"{"user": 1, "item": 2}"#, count: 4).joined(separator: ","))]}"#)
            #expect(tooMany.status == 413 && tooMany.message == "'rows' holds 4 rows; at most 3 per request")
            let oversized = try await refusal(#"{"rows": [], "padding": "\#(String(repeating: "x", count: 4096))"}"#)
            #expect(oversized.status == 413 && oversized.message.contains("larger than 2048 bytes"))
            let ranking = try await HTTPTestClient.send(url, "/v1/rank", body: #"{"history": [1, 2], "k": 2}"#)
            #expect(ranking.status == 400 && HTTPTestClient.error(ranking.body).message?.contains("no ranking output") == true)
            let nowhere = try await HTTPTestClient.send(url, "/v1/nothing", body: "{}")
            #expect(nowhere.status == 404)
            // The server still scores after every refusal.
            let good = try await HTTPTestClient.send(url, "/v1/score", body: #"{"rows": [{"user": 1, "item": 2}]}"#)
            #expect(good.status == 200)
        }
    }
}
