import FunnelData
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelModels

/// RAR's SimHash selection (adaptation.md §1.2.1, §1.6 oracles).
@Suite struct RARSelectionTests {
    static func augmentation(_ change: (inout RARConfiguration) -> Void = { _ in }) throws -> RecallAugmentation {
        var configuration = RARConfiguration()
        configuration.poolSize = 60
        configuration.recallCount = 30
        change(&configuration)
        return try RecallAugmentation(dataset: USDModelTests.dataset, configuration: configuration, label: "click", seed: 3)
    }

    @Test func signaturesAreScaleInvariant() throws {
        for groups in [1, 4] {
            let selection = try Self.augmentation { $0.hashGroups = groups }.selection
            #expect(selection.bits == 64 && selection.dimensions == 16)
            let vectors = uniform([5, 16], seed: 11)
            for scale: Float in [0.01, 0.5, 3, 1000] {
                #expect(selection.signatures(vectors * scale) == selection.signatures(vectors), "c = \(scale), groups \(groups)")
            }
            // A negative scale flips every bit that is not on a hyperplane: the oracle can fail.
            #expect(selection.signatures(vectors * -1) != selection.signatures(vectors))
        }
    }

    @Test func hyperplanesAreBlockDiagonalFixedAndSeeded() throws {
        let first = try Self.augmentation { $0.hashGroups = 4 }
        let second = try Self.augmentation { $0.hashGroups = 4 }
        #expect(first.selection.projection.scalars == second.selection.projection.scalars)
        #expect(!first.parameters().contains { $0 === first.selection.projection })
        let projection = first.selection.projection.scalars
        // Dimension 0 (group 0) has no weight on bit 16 (group 1); dimension 4 (group 1) has.
        #expect(projection[0 * 64 + 16] == 0 && projection[4 * 64 + 16] != 0 && projection[0 * 64 + 15] != 0)
    }

    @Test func anIdenticalPoolEntryHasSimilarityHAndIsSelectedFirst() throws {
        let selection = try Self.augmentation().selection
        let pool = uniform([40, 16], seed: 12)
        let query = pool.reshaped([40, 16]).indexSelect([27])
        let signatures = selection.signatures(pool)
        let querySignature = selection.signatures(query)[0]
        let hamming = signatures[27].indices.reduce(0) { $0 + (signatures[27][$1] ^ querySignature[$1]).nonzeroBitCount }
        #expect(selection.bits - hamming == selection.bits)
        #expect(LookAlikePool.nearest(query: querySignature, pool: signatures, count: 5).first == 27)
        // Ties by position; the excluded position (the row's own user) ranks last.
        #expect(LookAlikePool.nearest(query: querySignature, pool: [querySignature, querySignature], count: 2) == [0, 1])
        #expect(LookAlikePool.nearest(query: querySignature, pool: signatures, count: 40, excluded: [27]).last == 27)
        // The recall side: a recall item equal to the target is kept first.
        let recalls = uniform([1, 30, 16], seed: 13)
        let target = recalls.reshaped([30, 16]).indexSelect([9])
        let retrieved = selection(target: target, behaviours: recalls, valid: Tensor.ones([1, 30]))
        #expect(retrieved.kept == 20 && retrieved.positions[0].first == 9)
    }

    @Test func nearestIsTheSortByDistanceThenPosition() {
        var generator = RandomGenerator(seed: 21)
        // Two-bit signatures in one word: many ties.
        let pool = (0..<200).map { _ in [generator.next() & 3] }
        let query = [UInt64(1)]
        let excluded: Set<Int> = [5, 17]
        let reference = pool.indices.sorted { first, second in
            func key(_ position: Int) -> (Int, Int, Int) {
                (excluded.contains(position) ? 1 : 0, (pool[position][0] ^ query[0]).nonzeroBitCount, position)
            }
            return key(first) < key(second)
        }
        #expect(LookAlikePool.nearest(query: query, pool: pool, count: 200, excluded: excluded) == reference)
        #expect(LookAlikePool.nearest(query: query, pool: pool, count: 7) == Array(pool.indices.sorted {
            ((pool[$0][0] ^ 1).nonzeroBitCount, $0) < ((pool[$1][0] ^ 1).nonzeroBitCount, $1)
        }.prefix(7)))
    }

    @Test func thePoolIsAFixedSampleOfTrainingUsers() throws {
        let first = try Self.augmentation()
        let second = try Self.augmentation()
        #expect(first.pool.users == second.pool.users && first.pool.users.count == 60)
        let training = try USDModelTests.dataset.split("train").column("user")!.values.ids!.array
        #expect(Set(first.pool.users).isSubset(of: Set(training)))
        #expect(
            first.pool.fields
                == ["user", "user.user_segment", "user.user_age", "user.user_segment_1", "user.user_segment_2", "user.user_segment_3"])
        let reseeded = try Self.augmentation { $0.poolSeed = 1 }
        #expect(reseeded.pool.users != first.pool.users)
    }
}
