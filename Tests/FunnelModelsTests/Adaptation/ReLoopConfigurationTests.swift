import Foundation
import FunnelModels
import Testing

/// ReLoop2's settings (adaptation.md §2.5): defaults, strict decoding, refusals by field path
/// and the memory they make.
@Suite struct ReLoopConfigurationTests {
    func refusal(_ configuration: ReLoopConfiguration) -> String? {
        do {
            try configuration.validate()
            return nil
        } catch {
            return "\(error)"
        }
    }

    func decode(_ json: String) throws -> ReLoopConfiguration {
        try StrictJSON.decode(ReLoopConfiguration.self, from: Data(json.utf8), defaults: ReLoopConfiguration(), context: "reLoop")
    }

    @Test func defaultsAreTheAssumedOnesAndValid() throws {
        let configuration = ReLoopConfiguration()
        #expect(configuration.memory == .sketch)
        #expect(configuration.arrays == 100 && configuration.bits == 16 && configuration.neighbours == 100)
        #expect(configuration.errorThreshold == 0 && configuration.keepProbability == 1 && configuration.capacity == 100_000)
        #expect(configuration.compensation == ErrorCompensation(gamma: 1, temperature: 0.1, strength: 0.5))
        #expect(refusal(configuration) == nil)
        #expect(configuration.fullByteSize(dimensions: 64) == SketchErrorMemory.fullByteSize(dimensions: 64, arrays: 100, bits: 16))
    }

    /// One bad value per case, with the field it must be refused by.
    static let badValues: [(String, ReLoopConfiguration)] = {
        func changed(_ change: (inout ReLoopConfiguration) -> Void) -> ReLoopConfiguration {
            var configuration = ReLoopConfiguration()
            change(&configuration)
            return configuration
        }
        return [
            ("arrays", changed { $0.arrays = 0 }),
            ("arrays", changed { $0.arrays = 5000 }),
            ("bits", changed { $0.bits = 0 }),
            ("bits", changed { $0.bits = 17 }),
            ("neighbours", changed { $0.neighbours = -1 }),
            ("errorThreshold", changed { $0.errorThreshold = -0.1 }),
            ("errorThreshold", changed { $0.errorThreshold = 1 }),
            ("errorThreshold", changed { $0.errorThreshold = .nan }),
            ("keepProbability", changed { $0.keepProbability = 0 }),
            ("keepProbability", changed { $0.keepProbability = 1.5 }),
            ("capacity", changed { $0.capacity = 0 }),
            ("capacity", changed { $0.capacity = 20_000_000 }),
            ("compensation.gamma", changed { $0.compensation.gamma = 2 }),
            ("compensation.temperature", changed { $0.compensation.temperature = 0 }),
            ("compensation.temperature", changed { $0.compensation.temperature = .infinity }),
            ("compensation.strength", changed { $0.compensation.strength = -0.5 }),
            ("compensation.strength", changed { $0.compensation.strength = 1.5 }),
        ]
    }()

    @Test(arguments: badValues)
    func badValuesAreRefusedByFieldPath(field: String, configuration: ReLoopConfiguration) throws {
        let message = try #require(refusal(configuration))
        #expect(message.contains("field 'modelConfiguration.reLoop.\(field)'"), "\(message)")
    }

    @Test func aNestedCheckNamesItsOwnRoot() throws {
        var configuration = ReLoopConfiguration()
        configuration.bits = 40
        do {
            try configuration.validate(ModelConfigurationCheck().nested("adaptation"))
            Issue.record("bits 40 was accepted")
        } catch {
            #expect("\(error)".contains("field 'modelConfiguration.adaptation.bits': 40"))
        }
    }

    @Test func decodingOverlaysTheDefaultsAndRefusesUnknownValues() throws {
        let decoded = try decode(#"{"memory": "nearest", "neighbours": 5, "compensation": {"strength": 0.9}}"#)
        #expect(decoded.memory == .nearest && decoded.neighbours == 5)
        #expect(decoded.compensation == ErrorCompensation(gamma: 1, temperature: 0.1, strength: 0.9))
        #expect(decoded.bits == 16)
        do {
            _ = try decode(#"{"memory": "ann"}"#)
            Issue.record("memory 'ann' was accepted")
        } catch {
            #expect("\(error)".contains("'ann' is not one of: sketch, nearest"), "\(error)")
        }
        do {
            _ = try decode(#"{"lambda": 0.5}"#)
            Issue.record("an unknown field was accepted")
        } catch {
            #expect("\(error)".contains("lambda"), "\(error)")
        }
        let encoded = try JSONEncoder().encode(decoded)
        #expect(try StrictJSON.decode(ReLoopConfiguration.self, from: encoded) == decoded)
    }

    @Test func makesTheConfiguredMemory() throws {
        var configuration = ReLoopConfiguration(memory: .sketch, arrays: 3, bits: 4, seed: 9)
        let sketch = try #require(configuration.makeMemory(dimensions: 6) as? SketchErrorMemory)
        #expect(sketch.dimensions == 6 && sketch.arrays == 3 && sketch.bits == 4)
        #expect(sketch.projections == SketchErrorMemory(dimensions: 6, arrays: 3, bits: 4, seed: 9).projections)
        configuration = ReLoopConfiguration(memory: .nearest, neighbours: 7, errorThreshold: 0.2, keepProbability: 0.5, capacity: 50, seed: 4)
        let nearest = try #require(configuration.makeMemory(dimensions: 6) as? NearestNeighbourErrorMemory)
        #expect(nearest.neighbours == 7 && nearest.errorThreshold == 0.2 && nearest.keepProbability == 0.5)
        #expect(nearest.capacity == 50 && nearest.seed == 4 && nearest.dimensions == 6)
        #expect(configuration.fullByteSize(dimensions: 6) == 50 * 8 * 4)
    }

    @Test func anyMemoryCompensatesThroughTheProtocol() {
        for kind in ReLoopConfiguration.MemoryKind.allCases {
            let configuration = ReLoopConfiguration(memory: kind, arrays: 4, bits: 6, neighbours: 4)
            var memory = configuration.makeMemory(dimensions: 3)
            let key: [Float] = [0.2, -0.4, 1]
            #expect(memory.read(queries: key) == [[]])
            memory.write(keys: key, labels: [1], basePredictions: [0.2])
            #expect(memory.storedSamples == 1)
            let readOuts = memory.read(queries: key)
            #expect(!readOuts[0].isEmpty)
            let compensation = ErrorCompensation(gamma: 1, strength: 1)
            #expect(Swift.abs(compensation.compensate(basePrediction: 0.3, readOuts: readOuts[0]) - 1) < 1e-6)
            memory.reset()
            #expect(memory.storedSamples == 0 && memory.read(queries: key) == [[]])
        }
    }
}
