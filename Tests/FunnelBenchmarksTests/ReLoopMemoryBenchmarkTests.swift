import FunnelBenchmarks
import FunnelModels
import Testing

/// `funnel bench reloop-memory` at a toy size: both memories measured, sizes reported (no
/// timing is asserted).
@Suite struct ReLoopMemoryBenchmarkTests {
    @Test func measuresBothMemories() {
        var options = ReLoopMemoryBenchmark.Options()
        options.rows = 16
        options.dimensions = 8
        options.filledSamples = 40
        options.timedChunks = 2
        options.threads = 1
        options.configuration = ReLoopConfiguration(arrays: 4, bits: 6, neighbours: 3, capacity: 30)
        let results = ReLoopMemoryBenchmark.run(options)
        #expect(results.map(\.memory) == ["sketch", "nearest"])
        #expect(results[0].storedSamples == 40 && results[1].storedSamples == 40)
        #expect(results[0].byteSize == SketchErrorMemory.fullByteSize(dimensions: 8, arrays: 4, bits: 6))
        #expect(results[1].byteSize == NearestNeighbourErrorMemory.fullByteSize(dimensions: 8, capacity: 30))
        #expect(results[1].readOutsPerQuery == 3)
        #expect(results.allSatisfy { $0.totalMicroseconds > 0 && $0.rows == 16 })
        #expect(ReLoopMemoryBenchmark.table(results).contains("K 4, L 6"))
    }
}
