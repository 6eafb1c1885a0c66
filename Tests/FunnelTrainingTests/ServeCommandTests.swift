import Foundation
import FunnelData
import FunnelTestSupport
import Testing

/// `funnel serve` as a user starts it: the printed URL answers, and its scores are those
/// `funnel predict` writes for the same rows.
@Suite struct ServeCommandTests {
    @Test func servesWhatPredictWrites() throws {
        let (folder, checkpoint) = try ExportCommandTests.checkpoint(.logisticRegression)
        let predicted = try runFunnel(["predict", "--checkpoint", checkpoint, "--split", "test", "--out", folder + "/scores.csv"])
        #expect(predicted.status == 0, "\(predicted.errors)")
        let lines = try String(contentsOfFile: folder + "/scores.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let scores = lines.prefix(40).compactMap { Double($0.split(separator: ",")[3]) }

        let test = try Dataset.load(folder + "/data").split("test")
        let users = try #require(test.column("user")?.values.ids)
        let items = try #require(test.column("item")?.values.ids)
        let rows = (0..<40).map { #"{"user": \#(users[$0]), "item": \#(items[$0])}"# }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: ResumeTests.executable)
        process.arguments = ["serve", "--checkpoint", checkpoint, "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // SIGKILL: the child inherits the test runner's signal mask, which can hold SIGTERM
            // back (a `funnel serve` started from a shell stops on SIGTERM).
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // The first line names the URL: `funnel serve: step-… (step N) at http://127.0.0.1:PORT`.
        var printed = Data()
        while !printed.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += chunk
        }
        let line = String(decoding: printed, as: UTF8.self)
        let address = try #require(line.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(line)")
        let url = try #require(URL(string: address), "\(line)")
        #expect(line.hasPrefix("funnel serve: step-"))

        let (status, body) = try HTTPTestClient.sendSynchronously(
            url, "/v1/score", body: #"{"rows": [\#(rows.joined(separator: ","))]}"#)
        #expect(status == 200)
        let served = ((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["scores"] as? [[String: Any]] ?? [])
            .compactMap { ($0["click"] as? NSNumber)?.doubleValue }
        #expect(served.count == 40 && scores.count == 40)
        for (row, (score, expected)) in zip(served, scores).enumerated() {
            #expect(abs(score - expected) <= 1e-6, "row \(row)")
        }
    }
}
