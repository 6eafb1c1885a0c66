import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// `CausalSelfAttention`: self-attention (queries and keys one tensor) runs its three
/// projections as one packed map; the output and every gradient equal those of the three
/// projections run apart (keys a separate tensor of the same values, whose gradient adds to the
/// queries').
@Suite struct CausalSelfAttentionTests {
    @Test(arguments: [Float(0), 0.3])
    func packedProjectionsEqualSeparateOnes(weightDropout: Float) {
        func layer() -> CausalSelfAttention {
            var generator = RandomGenerator(seed: 5)
            return CausalSelfAttention(
                dimensions: 16, heads: 2, outputProjection: true, weightDropout: weightDropout, initializer: .fanInUniform,
                generator: &generator)
        }
        let (packed, separate) = (layer(), layer())
        let mask = MultiHeadAttention.causalMask(length: 7)
        func input() -> Tensor { Tensor(shape: [3, 7, 16], scalars: uniform([3, 7, 16]).scalars, requiresGradient: true) }
        let (shared, queries, keys) = (input(), input(), input())
        let packedOutput = packed(queries: shared, keys: shared, mask: mask)
        let separateOutput = separate(queries: queries, keys: keys, mask: mask)
        #expect(zip(packedOutput.scalars, separateOutput.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
        let weights = uniform([3, 7, 16], seed: 2)
        (packedOutput * weights).sum().backward()
        (separateOutput * weights).sum().backward()
        let separateInputGradient = zip(queries.gradient!.scalars, keys.gradient!.scalars).map { $0 + $1 }
        #expect(zip(shared.gradient!.scalars, separateInputGradient).allSatisfy { abs($0 - $1) <= 1e-4 })
        for ((name, left), (_, right)) in zip(packed.namedParameters(), separate.namedParameters()) {
            #expect(zip(left.gradient!.scalars, right.gradient!.scalars).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(name)")
        }
    }
}
