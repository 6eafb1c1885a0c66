import FunnelTensor
import Testing

/// The bucket-table kernels against plain loops: gathered dots and squares, in-order scatter-adds.
@Suite struct BucketTableKernelsTests {
    /// 50 buckets of stride 37, gathering the first 35 floats (two 16-lane blocks and a tail).
    let buckets = 50
    let stride = 37
    let width = 35

    func randomValues(_ count: Int, _ generator: inout RandomGenerator) -> [Float] {
        (0..<count).map { _ in generator.nextNormal() }
    }

    @Test func gatheredDotsMatchPlainSums() {
        var generator = RandomGenerator(seed: 1)
        let table = randomValues(buckets * stride, &generator)
        let indices: [Int32] = (0..<64).map { Int32(($0 * 17 + 3) % buckets) }
        let queries = randomValues(indices.count * width, &generator)
        var dots = [Float](repeating: 0, count: indices.count)
        var squares = dots
        BucketTableKernels.gatheredDots(
            table: table, stride: stride, bucketIndices: indices, count: indices.count, queries: queries, width: width,
            dots: &dots, squares: &squares)
        for (row, index) in indices.enumerated() {
            var (dot, square): (Double, Double) = (0, 0)
            for j in 0..<width {
                let value = Double(table[Int(index) * stride + j])
                dot += value * Double(queries[row * width + j])
                square += value * value
            }
            #expect(Swift.abs(Double(dots[row]) - dot) < 1e-4)
            #expect(Swift.abs(Double(squares[row]) - square) < 1e-4 * Swift.max(1, square))
        }
    }

    @Test func scatterAddAccumulatesRepeatedBucketsInRowOrder() {
        var generator = RandomGenerator(seed: 2)
        var table = [Float](repeating: 0, count: buckets * stride)
        let indices: [Int32] = [4, 9, 4, 4, 0, 9]
        let values = randomValues(indices.count * stride, &generator)
        BucketTableKernels.scatterAdd(table: &table, stride: stride, bucketIndices: indices, count: indices.count, values: values, width: stride)
        var expected = [Float](repeating: 0, count: buckets * stride)
        for (row, index) in indices.enumerated() {
            for j in 0..<stride { expected[Int(index) * stride + j] += values[row * stride + j] }
        }
        #expect(table == expected)
    }
}
