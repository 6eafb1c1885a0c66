import Foundation
import Testing

@testable import FunnelConversation

@Suite struct ECPOConfigurationTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ecpo-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func fieldsOverlayTheDefaults() throws {
        let path = try write(#"{"name": "small", "personas": {"testCount": 3}, "preferenceOptimisation": {"learningRate": 1e-4}}"#)
        let configuration = try ECPOConfiguration.load(path: path)
        #expect(configuration.name == "small")
        #expect(configuration.personas.testCount == 3)
        #expect(configuration.personas.trainCount == ECPOConfiguration.defaults.personas.trainCount)
        #expect(configuration.preferenceOptimisation.learningRate == 1e-4)
        #expect(configuration.preferenceOptimisation.accumulation == 32)
        #expect(configuration.planningTuning == .planningTuning)
        #expect(configuration.rounds == 5)
        #expect(configuration.threshold == 4)
    }

    /// The paper's training settings (§3): SGPT lr 5e-5 × accumulation 8, ECPO lr 1e-6 ×
    /// accumulation 32 with β 0.1; both 3 epochs, warm-up 0.1, 10 % validation, cutoff 2,048.
    @Test func defaultsAreThePapers() {
        let sgpt = AdapterTrainingOptions.planningTuning
        #expect(sgpt.learningRate == 5e-5 && sgpt.accumulation == 8 && sgpt.epochs == 3)
        let ecpo = AdapterTrainingOptions.preferenceOptimisation
        #expect(ecpo.learningRate == 1e-6 && ecpo.accumulation == 32 && ecpo.beta == 0.1)
        for options in [sgpt, ecpo] {
            #expect(options.warmupRatio == 0.1 && options.validationFraction == 0.1 && options.cutoffTokens == 2048)
        }
    }

    @Test func mistakesAreNamedWithTheirField() throws {
        func message(_ text: String) throws -> String {
            let path = try write(text)
            do {
                _ = try ECPOConfiguration.load(path: path)
                return "accepted"
            } catch let error as ConversationError {
                return error.description.replacingOccurrences(of: path, with: "FILE")
            }
        }
        #expect(try message(#"{"treshold": 3}"#).contains("unknown field 'treshold'"))
        #expect(try message(#"{"threshold": 0}"#) == "FILE: field \"threshold\": expected 1 to 6 (turns with satisfaction below it are rewritten)")
        #expect(try message(#"{"planningTuning": {"epochs": 0}}"#) == "FILE: field \"planningTuning.epochs\": expected at least 1")
        #expect(try message(#"{"models": {"judge": {"gguf": "a.gguf", "url": "http://x"}}}"#).hasPrefix("FILE: field \"models.judge\""))
        #expect(try message(#"{"data": {"kind": "csv"}}"#) == "FILE: field \"data.kind\": expected movielens or json-lines")
        #expect(try message(#"{"rounds": "five"}"#).contains("rounds"))
    }
}
