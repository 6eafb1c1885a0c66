import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

// RoTE (sequential.md §2), the oracles of §2.7.

/// `[batch, heads, length, length]` logits `q·kᵀ` of heads laid side by side in the last axis.
private func logits(_ queries: Tensor, _ keys: Tensor, heads: Int) -> Tensor {
    let (batch, length, width) = (queries.shape[0], queries.shape[1], queries.shape[2] / heads)
    func split(_ x: Tensor) -> Tensor {
        x.reshaped([batch, length, heads, width]).permuted([0, 2, 1, 3])
    }
    return Tensor.matmul(split(queries), split(keys), transposeRight: true)
}

/// Timestamps from 2014 to 2019, as Amazon reviews carry.
private func times(_ count: Int, seed: UInt64) -> [Int64] {
    uniform([count], 1.39e9, 1.56e9, seed: seed).scalars.map { Int64($0) }
}

@Suite struct RotaryTimeEmbeddingTests {
    @Test func approximateDecompositionOfOneJulianYear() {
        let levels = TimeDecomposition.approximate.levels([31_557_600, 0], batch: 1, length: 2)
        #expect(levels[0] == [1.0, 0] && levels[1] == [12.0, 0] && levels[2] == [365.25, 0])
    }

    @Test func calendarIdentifiersOfKnownDates() {
        // 2020-02-29 23:59:59 UTC, the next second (2020-03-01), 1999-12-31 23:59:59, the epoch's
        // first second, and a timestamp at or before the epoch.
        #expect(TimeDecomposition.calendarIdentifiers(1_583_020_799) == (50, 601, 18_321))
        #expect(TimeDecomposition.calendarIdentifiers(1_583_020_800) == (50, 602, 18_322))
        #expect(TimeDecomposition.calendarIdentifiers(946_684_799) == (29, 359, 10_956))
        #expect(TimeDecomposition.calendarIdentifiers(1) == (0, 0, 0))
        #expect(TimeDecomposition.calendarIdentifiers(0) == (0, 0, 0))
        #expect(TimeDecomposition.calendarIdentifiers(-5) == (0, 0, 0))
        // Relative to the first position of each row.
        let levels = TimeDecomposition.ymd.levels(
            [946_684_799, 1_583_020_800, 1_583_020_799, 946_684_799], batch: 2, length: 2)
        #expect(
            levels[0] == [0, 21, 0, -21] && levels[1] == [0, 243, 0, -242]
                && levels[2] == [0, 7_366, 0, -7_365])
        #expect(
            TimeDecomposition.unix.levels([100, 250, 7, 5], batch: 2, length: 2) == [
                [0, 150, 0, -2]
            ])
        // Left padding (time 0) comes before the first real position and stays 0.
        #expect(TimeDecomposition.unix.levels([0, 0, 100, 250], batch: 1, length: 4) == [[0, 0, 0, 150]])
        #expect(TimeDecomposition.ymd.levels([0, 946_684_799, 1_583_020_800], batch: 1, length: 3)[0] == [0, 0, 21])
    }

    @Test func fusedRotationIsTheWeightedSumOfLevelRotations() {
        let embedding = RotaryTimeEmbedding(headWidth: 4)
        let stamps = times(6, seed: 3)
        let x = uniform([2, 3, 8], seed: 4)
        let rotated = embedding.rotation(times: stamps, batch: 2, length: 3).apply(x, heads: 2)
            .scalars
        let levels = TimeDecomposition.approximate.levels(stamps, batch: 2, length: 3)
        var expected = [Double](repeating: 0, count: x.count)
        for position in 0..<6 {
            for head in 0..<2 {
                for pair in 0..<2 {
                    let offset = position * 8 + head * 4 + 2 * pair
                    let (first, second) = (Double(x.scalars[offset]), Double(x.scalars[offset + 1]))
                    for level in 0..<3 {
                        let angle = levels[level][position] * embedding.frequencies[level][pair]
                        expected[offset] +=
                            embedding.weights[level] * (first * cos(angle) - second * sin(angle))
                        expected[offset + 1] +=
                            embedding.weights[level] * (first * sin(angle) + second * cos(angle))
                    }
                }
            }
        }
        expectClose(rotated, expected.map { Float($0) }, tolerance: 1e-5)
    }

    @Test(arguments: [[1.0, 0, 0], [0, 1, 0], [0, 0, 1]])
    func eachLevelPreservesNorms(weights: [Double]) {
        let embedding = RotaryTimeEmbedding(headWidth: 6, weights: weights)
        let x = uniform([2, 4, 12], seed: 5)
        let rotated = embedding.rotation(times: times(8, seed: 6), batch: 2, length: 4).apply(
            x, heads: 2)
        let norms = { (tensor: Tensor) in
            (tensor * tensor).reshaped([16, 6]).sum(alongAxes: [1]).scalars
        }
        expectClose(norms(rotated), norms(x), tolerance: 1e-5)
    }

    @Test func dayLevelLogitsDependOnlyOnTimeDifferences() {
        let embedding = RotaryTimeEmbedding(headWidth: 8, weights: [0, 0, 1])
        let stamps = times(10, seed: 7)
        let shifted = stamps.map { $0 + 37 * 86_400 }
        let (queries, keys) = (uniform([2, 5, 16], seed: 8), uniform([2, 5, 16], seed: 9))
        func rotatedLogits(_ times: [Int64]) -> [Float] {
            let rotation = embedding.rotation(times: times, batch: 2, length: 5)
            return logits(
                rotation.apply(queries, heads: 2), rotation.apply(keys, heads: 2), heads: 2
            ).scalars
        }
        expectClose(rotatedLogits(shifted), rotatedLogits(stamps), tolerance: 1e-4)
    }

    @Test func zeroTimesScaleLogitsByNine() {
        let embedding = RotaryTimeEmbedding(headWidth: 4)
        let rotation = embedding.rotation(times: Array(repeating: 0, count: 6), batch: 2, length: 3)
        // Multiples of 1/8: every product and sum below is exact in Float32.
        let queries = Tensor(shape: [2, 3, 8], scalars: (0..<48).map { Float($0 % 11 - 5) / 8 })
        let keys = Tensor(shape: [2, 3, 8], scalars: (0..<48).map { Float($0 % 7 - 3) / 8 })
        let (rotatedQueries, rotatedKeys) = (
            rotation.apply(queries, heads: 2), rotation.apply(keys, heads: 2)
        )
        #expect(
            rotatedQueries.scalars == (queries * 3).scalars
                && rotatedKeys.scalars == (keys * 3).scalars)
        #expect(
            logits(rotatedQueries, rotatedKeys, heads: 2).scalars
                == (logits(queries, keys, heads: 2) * 9).scalars)
    }

    @Test func applyGradients() {
        let rotation = RotaryTimeEmbedding(headWidth: 4).rotation(
            times: times(6, seed: 10), batch: 2, length: 3)
        checkGradients([uniform([2, 3, 8], seed: 11)]) { rotation.apply($0[0], heads: 2) }
    }

    @Test func oddHeadWidthIsRefused() async {
        #expect(RotaryTimeEmbedding.problem(headWidth: 5)?.contains("even") == true)
        #expect(RotaryTimeEmbedding.problem(headWidth: 64) == nil)
        await #expect(processExitsWith: .failure) { _ = RotaryTimeEmbedding(headWidth: 5) }
    }
}
