import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

// ETA's SimHash retrieval (entire-space.md §9.1), with the spec's oracle projection
// R = [[1, 1, −1, 0.5], [1, −1, 0.5, 1]] (d = 2, m = 4).

private func oracleProjection() -> Tensor { Tensor(shape: [2, 4], scalars: [1, 1, -1, 0.5, 1, -1, 0.5, 1]) }

private func oracleRetrieval(
    retrievedCount: Int, tieBreaking: SimHashRetrieval.TieBreaking = .mostRecentFirst
) -> SimHashRetrieval {
    SimHashRetrieval(projection: oracleProjection(), retrievedCount: retrievedCount, tieBreaking: tieBreaking)
}

@Suite struct SimHashRetrievalTests {
    @Test func specOracle() {
        let retrieval = oracleRetrieval(retrievedCount: 2)
        let target = Tensor(shape: [1, 2], scalars: [1, 0])
        let behaviours = Tensor(shape: [1, 3, 2], scalars: [1, 0.1, -1, 0, 0.9, -0.2])
        let valid = Tensor.ones([1, 3])
        #expect(retrieval.signatureBits(target) == [[1, 1, 0, 1]])
        #expect(retrieval.signatureBits(behaviours) == [[1, 1, 0, 1], [0, 0, 1, 0], [1, 1, 0, 1]])
        #expect(retrieval.distances(target: target, behaviours: behaviours, valid: valid) == [[0, 4, 0]])
        let retrieved = retrieval(target: target, behaviours: behaviours, valid: valid)
        // The first and third are retrieved; at equal distance the later one comes first.
        #expect(retrieved.positions == [[2, 0]])
        #expect(retrieved.embeddings.shape == [1, 2, 2])
        #expect(retrieved.embeddings.scalars == [0.9, -0.2, 1, 0.1])
        #expect(retrieved.valid.scalars == [1, 1])
    }

    @Test func exactZeroGivesBitZero() {
        let retrieval = oracleRetrieval(retrievedCount: 1)
        // [1, 1]·R = [2, 0, −0.5, 1.5]: the exact zero is bit 0, as is every bit of the zero vector.
        #expect(retrieval.signatureBits(Tensor(shape: [2, 2], scalars: [1, 1, 0, 0])) == [[1, 0, 0, 1], [0, 0, 0, 0]])
    }

    @Test func paddingNeverWins() {
        let retrieval = oracleRetrieval(retrievedCount: 2)
        let target = Tensor(shape: [1, 2], scalars: [1, 0])
        // Padded copies of the target (distance 0 were they valid) and two valid behaviours.
        let behaviours = Tensor(shape: [1, 4, 2], scalars: [-1, 0, 1, 0.1, 1, 0, 0.9, -0.2])
        let valid = Tensor(shape: [1, 4], scalars: [1, 0, 0, 1])
        #expect(retrieval.paddingDistance == 5)
        #expect(retrieval.distances(target: target, behaviours: behaviours, valid: valid) == [[4, 5, 5, 0]])
        let retrieved = retrieval(target: target, behaviours: behaviours, valid: valid)
        #expect(retrieved.positions == [[3, 0]])
        #expect(retrieved.valid.scalars == [1, 1])
        // With fewer valid behaviours than k, padding fills the last slots and stays masked.
        let wider = oracleRetrieval(retrievedCount: 3)(target: target, behaviours: behaviours, valid: valid)
        #expect(wider.positions == [[3, 0, 2]])
        #expect(wider.valid.scalars == [1, 1, 0])
    }

    @Test func tiesBrokenByRecency() {
        let target = Tensor(shape: [2, 2], scalars: [1, 0, 1, 0])
        let behaviours = Tensor(shape: [2, 4, 2], scalars: Array(repeating: [1, 0.1], count: 8).flatMap { $0 })
        let valid = Tensor(shape: [2, 4], scalars: [1, 1, 1, 1, 1, 1, 1, 0])
        let recent = oracleRetrieval(retrievedCount: 2)(target: target, behaviours: behaviours, valid: valid)
        #expect(recent.positions == [[3, 2], [2, 1]])
        let oldest = oracleRetrieval(retrievedCount: 2, tieBreaking: .oldestFirst)(
            target: target, behaviours: behaviours, valid: valid)
        #expect(oldest.positions == [[0, 1], [0, 1]])
        // k beyond the sequence keeps every position.
        let all = oracleRetrieval(retrievedCount: 50)(target: target, behaviours: behaviours, valid: valid)
        #expect(all.positions == [[3, 2, 1, 0], [2, 1, 0, 3]])
        #expect(all.valid.shape == [2, 4] && all.valid.scalars == [1, 1, 1, 1, 1, 1, 1, 0])
    }

    @Test func projectionIsASeededConstant() {
        var first = RandomGenerator(seed: 11)
        var second = RandomGenerator(seed: 11)
        let retrieval = SimHashRetrieval(dimensions: 3, generator: &first)
        #expect(retrieval.bits == 32 && retrieval.retrievedCount == 50 && retrieval.tieBreaking == .mostRecentFirst)
        #expect(retrieval.paddingDistance == 33)
        #expect(retrieval.projection.shape == [3, 32] && !retrieval.projection.requiresGradient)
        #expect(retrieval.parameters().isEmpty)
        #expect(retrieval.namedTensors().map(\.name) == ["projection"])
        #expect(SimHashRetrieval(dimensions: 3, generator: &second).projection.scalars == retrieval.projection.scalars)
        let values = retrieval.projection.scalars
        let mean = values.reduce(0, +) / Float(values.count)
        #expect(Swift.abs(mean) < 0.5 && Set(values).count == values.count)
        // Retrieval never trains the projection, even from embeddings that require gradients.
        let behaviours = uniform([2, 5, 3], seed: 3)
        behaviours.requiresGradient = true
        retrieval(target: uniform([2, 3], seed: 4), behaviours: behaviours, valid: Tensor.ones([2, 5]))
            .embeddings.sum().backward()
        #expect(retrieval.projection.gradient == nil)
    }

    @Test func signaturesFollowTheCurrentEmbeddings() {
        let retrieval = oracleRetrieval(retrievedCount: 1)
        let target = Tensor(shape: [1, 2], scalars: [1, 0])
        let behaviours = Tensor(shape: [1, 2, 2], scalars: [1, 0.1, -1, 0])
        let valid = Tensor.ones([1, 2])
        #expect(retrieval(target: target, behaviours: behaviours, valid: valid).positions == [[0]])
        // A training step moves the embeddings: the next call re-hashes them (no stale signature).
        behaviours.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: [-1, 0, 1, 0.1]) }
        #expect(retrieval(target: target, behaviours: behaviours, valid: valid).positions == [[1]])
    }

    @Test func gradientsReachOnlyTheSelectedRows() {
        let retrieval = oracleRetrieval(retrievedCount: 2)
        let target = Tensor(shape: [2, 2], scalars: [1, 0, -1, 0], requiresGradient: true)
        let behaviours = Tensor(
            shape: [2, 3, 2], scalars: [1, 0.1, -1, 0, 0.9, -0.2, 1, 0.1, -1, 0, 0.9, -0.2],
            requiresGradient: true)
        let retrieved = retrieval(target: target, behaviours: behaviours, valid: Tensor.ones([2, 3]))
        #expect(retrieved.positions == [[2, 0], [1, 2]])
        let weights = Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        (retrieved.embeddings * weights).sum().backward()
        // Row 0 selected positions 2 then 0; row 1 positions 1 then 2 (position 0 is not selected).
        #expect(behaviours.gradient?.scalars == [3, 4, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8])
        // The selection is constant: the target receives nothing through it.
        #expect(target.gradient == nil)
    }

    /// The selection from ids (each distinct id signed once) is the selection from the
    /// gathered tensors, padding included, and hands back every behaviour id it read.
    @Test func selectionFromIDsIsTheSelectionFromTensors() {
        var generator = RandomGenerator(seed: 31)
        let table = Tensor.randomNormal([12, 6], using: &generator)
        let retrieval = SimHashRetrieval(dimensions: 6, bits: 16, retrievedCount: 4, generator: &generator)
        let (rows, length, padding): (Int, Int, Int32) = (5, 7, 11)
        var behaviourIDs: [Int32] = []
        var validity: [Float] = []
        for row in 0..<rows {
            for position in 0..<length {
                let real = position < length - row  // row r has r padded positions at the end
                behaviourIDs.append(real ? Int32((row * 5 + position * 3) % 11) : padding)
                validity.append(real ? 1 : 0)
            }
        }
        let targetIDs: [Int32] = [0, 3, 7, 10, 5]
        let valid = Tensor(shape: [rows, length], scalars: validity)
        let gather = { (ids: [Int32]) in table.embeddingLookup(ids, paddingID: padding) }
        let selection = retrieval.select(targetIDs: targetIDs, behaviourIDs: behaviourIDs, valid: valid, embed: gather)
        let retrieved = retrieval(
            target: gather(targetIDs), behaviours: gather(behaviourIDs).reshaped([rows, length, 6]), valid: valid)
        #expect(selection.selected == retrieved.selected && selection.kept == retrieved.kept)
        #expect(selection.valid.scalars == retrieved.valid.scalars)
        #expect(gather(selection.ids).scalars == retrieved.embeddings.scalars)
        #expect(Set(selection.behaviourIDs) == Set(behaviourIDs) && selection.behaviourIDs.count == Set(behaviourIDs).count)
    }
}
