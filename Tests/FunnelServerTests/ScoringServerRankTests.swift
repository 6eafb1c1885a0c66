import Foundation
import FunnelData
import FunnelServer
import FunnelSimulation
import FunnelTraining
import FunnelTestSupport
import Testing

/// `POST /v1/rank` over a SASRec checkpoint of a simulated sequential world: the reply is the
/// model's own ranking of the catalogue for the history sent.
@Suite struct ScoringServerRankTests {
    @Test func ranksTheCatalogueForAHistory() async throws {
        let root = NSTemporaryDirectory() + "funnel-rank-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        try ScenarioKind.sequential.simulate(users: 150, days: 1, seed: 1).write(to: root + "/data")
        var configuration = TrainingConfiguration(data: root + "/data", model: .sasrec)
        configuration.batchSize = 128
        configuration.threads = 1
        configuration.checkpointDirectory = root + "/checkpoints"
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        _ = try trainer.train()

        let trained = try TrainedModel.load(checkpoint: root + "/checkpoints")
        let history = try #require(trained.model.requirements.sequences.keys.first)
        let test = try trained.dataset.split("test")
        guard case .lists(let ids, let offsets) = try #require(test.column(history)).values else {
            Issue.record("the history column is not an id list")
            return
        }
        let items = (Int(offsets[0])..<Int(offsets[1])).map { String(ids[$0]) }
        let expected = try RowScorer(trained).rank(history: items, count: 5, excluding: ["1"])

        let server = try ScoringServer(checkpoint: root + "/checkpoints", port: 0)
        try await server.start()
        let url = try #require(server.url)
        let body = #"{"history": [\#(items.joined(separator: ","))], "k": 5, "exclude": [1]}"#
        let reply = try await HTTPTestClient.send(url, "/v1/rank", body: body)
        let scored = try await HTTPTestClient.send(url, "/v1/score", body: #"{"rows": [{"\#(history)": [1, 2]}]}"#)
        let badItem = try await HTTPTestClient.send(url, "/v1/rank", body: #"{"history": ["x"]}"#)
        await server.stop()

        #expect(reply.status == 200)
        let object = try #require(HTTPTestClient.object(reply.body))
        let ranked = try #require(object["items"] as? [[String: Any]])
        #expect(ranked.compactMap { $0["item"] as? String } == expected.map(\.item))
        let scores = ranked.compactMap { ($0["score"] as? NSNumber)?.doubleValue }
        #expect(scores.count == 5 && zip(scores, expected.map(\.score)).allSatisfy { abs($0 - $1) <= 1e-12 })
        #expect(ranked.count == 5 && !ranked.contains { ($0["item"] as? String).map { items.contains($0) || $0 == "1" } ?? true })
        #expect(object["model"] as? String == "sasrec")
        #expect(scored.status == 400 && HTTPTestClient.error(scored.body).message?.contains("use /v1/rank") == true)
        #expect(badItem.status == 400 && HTTPTestClient.error(badItem.body).message?.contains(#"found "x""#) == true)
    }
}
