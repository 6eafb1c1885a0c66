import Testing

@testable import FunnelTensor

/// The storage pool's size classes: a buffer serves every count of its class, so tensors whose
/// row count varies by a little from step to step reuse each other's buffers.
@Suite struct TensorStorageTests {
    @Test func classesRoundUpByAtMostAnEighth() {
        #expect(StoragePool.capacity(1024) == 1024)
        #expect(StoragePool.capacity(1025) == 1152)
        #expect(StoragePool.capacity(2047) == 2048)
        #expect(StoragePool.capacity(3 << 20) == 3 << 20)
        var previous = 0
        for count in stride(from: 1024, through: 1 << 22, by: 997) {
            let capacity = StoragePool.capacity(count)
            #expect(capacity >= count && Double(capacity) <= Double(count) * 1.125)
            #expect(capacity >= previous)
            // Every count of a class maps to the class's own capacity.
            #expect(StoragePool.capacity(capacity) == capacity)
            previous = capacity
        }
    }

    @Test func varyingCountsReuseTheirClassesBuffers() {
        // Row counts that differ every step (distinct ids of a batch) are served from the pool:
        // counts never seen before, in the classes of earlier ones, allocate nothing new. Keyed
        // by the exact count, each would be a fresh buffer (the earlier ones stay pooled).
        Tensor.releasePooledStorage()
        defer { Tensor.releasePooledStorage() }
        // A class (12 MiB buffers) that tests running alongside are unlikely to take meanwhile.
        let counts = (0..<4).map { 2_900_000 + $0 * 1_001 }
        var seen = Set<UnsafeMutablePointer<Float>>()
        for count in counts { seen.insert(Tensor.zeros([count]).storage.pointer) }
        for count in counts { #expect(seen.contains(Tensor.zeros([count + 1]).storage.pointer)) }
    }
}
