import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// `Tensor.attention`: the fused primitive against the composition it replaces (head
/// transposes, two batched products, scale, mask, softmax), and its gradients against finite
/// differences.
@Suite struct AttentionTests {
    private func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: -1, high: 1, using: &generator)
    }

    /// The unfused reference: `[B, L, h·e]` split into heads, softmax(q·kᵀ/√e + mask)·v, rows
    /// whose mask entries are all ≤ closedBelow set to 0, heads joined again.
    private func reference(
        _ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int, mask: Tensor?, closedBelow: Float,
        dropout: (keep: Float, key: UInt64)? = nil
    ) -> Tensor {
        let (batch, lq, lk, width) = (q.shape[0], q.shape[1], k.shape[1], q.shape[2])
        let e = width / heads
        func split(_ x: Tensor, _ length: Int) -> Tensor {
            x.reshaped([batch, length, heads, e]).permuted([0, 2, 1, 3])
        }
        var scores = Tensor.matmul(split(q, lq), split(k, lk), transposeRight: true) * (1 / Float(e).squareRoot())
        var weights: Tensor
        if let mask {
            scores = scores + mask
            let open = withoutGradients { (mask .> Tensor(closedBelow)).max(alongAxes: [mask.rank - 1], keepingDimensions: true) }
            weights = scores.softmax() * open
        } else {
            weights = scores.softmax()
        }
        // The weights [B, heads, Lq, Lk] are indexed as the fused kernel indexes them.
        if let dropout { weights = Tensor.dropout(weights, keep: dropout.keep, key: dropout.key) }
        return Tensor.matmul(weights, split(v, lk)).permuted([0, 2, 1, 3]).reshaped([batch, lq, width])
    }

    // One query (target attention) takes the direct dot products, for widths of whole vectors
    // (16) and with a scalar tail (20).
    @Test(arguments: [(2, 5, 7, 2, 4), (3, 1, 6, 2, 16), (2, 4, 4, 1, 3), (2, 1, 21, 2, 20)])
    func matchesTheUnfusedComposition(shape: (Int, Int, Int, Int, Int)) {
        let (batch, lq, lk, heads, e) = shape
        let q = random([batch, lq, heads * e], seed: 1)
        let k = random([batch, lk, heads * e], seed: 2)
        let v = random([batch, lk, heads * e], seed: 3)
        // A padding mask per batch row that blocks the last key, and every key of batch row 1
        // for the first query (a row with nothing to attend to).
        var maskValues = [Float](repeating: 0, count: batch * lq * lk)
        for b in 0..<batch {
            for i in 0..<lq {
                for j in 0..<lk where j == lk - 1 || (b == 1 && i == 0) { maskValues[(b * lq + i) * lk + j] = -1e9 }
            }
        }
        let mask = Tensor(shape: [batch, 1, lq, lk], scalars: maskValues)
        for mask in [nil, mask] {
            let fused = Tensor.attention(queries: q, keys: k, values: v, heads: heads, mask: mask, closedBelow: -5e8)
            let unfused = reference(q, k, v, heads: heads, mask: mask, closedBelow: -5e8)
            #expect(fused.shape == unfused.shape)
            #expect(zip(fused.scalars, unfused.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
    }

    /// SASRec-sized pairs (50 causal queries: six groups of eight and a tail of two) and an
    /// uneven one (11 queries, 37 keys, a head of 20: a tail of dimensions), with and without
    /// weight dropout: the output and all three gradients equal the composition's.
    @Test(arguments: [(2, 50, 50, 2, 32, true), (2, 11, 37, 1, 20, false)])
    func longSequencesMatchTheComposition(shape: (Int, Int, Int, Int, Int, Bool)) {
        let (batch, lq, lk, heads, e, causal) = shape
        // Causal, or every third key blocked for odd queries (a last query sees nothing).
        let mask = Tensor(shape: [lq, lk], scalars: (0..<(lq * lk)).map { index -> Float in
            let (i, j) = (index / lk, index % lk)
            if causal { return j > i ? -1e9 : 0 }
            return i == lq - 1 || (i % 2 == 1 && j % 3 == 0) ? -1e9 : 0
        })
        for dropout in [nil, (keep: Float(0.7), key: UInt64(99))] {
            func inputs() -> [Tensor] {
                [[batch, lq, heads * e], [batch, lk, heads * e], [batch, lk, heads * e]].enumerated().map { index, shape in
                    Tensor(shape: shape, scalars: random(shape, seed: 40 + UInt64(index)).scalars, requiresGradient: true)
                }
            }
            let (fusedInputs, unfusedInputs) = (inputs(), inputs())
            let fused = Tensor.attention(
                queries: fusedInputs[0], keys: fusedInputs[1], values: fusedInputs[2], heads: heads, mask: mask,
                closedBelow: -5e8, dropout: dropout)
            let unfused = reference(
                unfusedInputs[0], unfusedInputs[1], unfusedInputs[2], heads: heads, mask: mask, closedBelow: -5e8,
                dropout: dropout)
            #expect(zip(fused.scalars, unfused.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
            let weights = uniform(fused.shape, -1, 1, seed: 41)
            (fused * weights).sum().backward()
            (unfused * weights).sum().backward()
            for (left, right) in zip(fusedInputs, unfusedInputs) {
                #expect(zip(left.gradient!.scalars, right.gradient!.scalars).allSatisfy { abs($0 - $1) <= 1e-4 })
            }
        }
    }

    /// Queries, keys and values as one packed tensor's column blocks: the output and the packed
    /// gradient equal the separate tensors' (causal, with weight dropout).
    @Test func packedBlocksEqualSeparateTensors() {
        let (batch, length, heads, width) = (2, 9, 2, 8)
        let packed = Tensor(shape: [batch, length, 3 * width], scalars: random([batch, length, 3 * width], seed: 50).scalars, requiresGradient: true)
        let blocks = (0..<3).map { block in
            Tensor(
                shape: [batch, length, width],
                scalars: (0..<(batch * length * width)).map { packed.scalars[($0 / width) * 3 * width + block * width + $0 % width] },
                requiresGradient: true)
        }
        let mask = Tensor(shape: [length, length], scalars: (0..<(length * length)).map { $0 % length > $0 / length ? -1e9 : 0 })
        let dropout = (keep: Float(0.8), key: UInt64(7))
        let fromPacked = Tensor.attention(packed: packed, heads: heads, mask: mask, closedBelow: -5e8, dropout: dropout)
        let fromBlocks = Tensor.attention(
            queries: blocks[0], keys: blocks[1], values: blocks[2], heads: heads, mask: mask, closedBelow: -5e8, dropout: dropout)
        #expect(fromPacked.scalars == fromBlocks.scalars)
        let weights = random(fromPacked.shape, seed: 51)
        (fromPacked * weights).sum().backward()
        (fromBlocks * weights).sum().backward()
        let joined = (0..<(batch * length * 3 * width)).map { index in
            blocks[(index % (3 * width)) / width].gradient!.scalars[(index / (3 * width)) * width + index % width]
        }
        #expect(packed.gradient!.scalars == joined)
    }

    @Test func gradientsMatchFiniteDifferences() {
        let mask = Tensor(shape: [1, 1, 1, 5], scalars: [0, 0, -1e9, 0, 0])
        checkGradients([random([2, 3, 4], seed: 4), random([2, 5, 4], seed: 5), random([2, 5, 4], seed: 6)]) {
            Tensor.attention(queries: $0[0], keys: $0[1], values: $0[2], heads: 2, mask: mask, closedBelow: -5e8)
        }
        checkGradients([random([1, 4, 6], seed: 7), random([1, 4, 6], seed: 8), random([1, 4, 6], seed: 9)]) {
            Tensor.attention(queries: $0[0], keys: $0[1], values: $0[2], heads: 3)
        }
        checkGradients([random([2, 1, 6], seed: 10), random([2, 5, 6], seed: 11), random([2, 5, 6], seed: 12)]) {
            Tensor.attention(queries: $0[0], keys: $0[1], values: $0[2], heads: 2, mask: mask, closedBelow: -5e8)
        }
        // One query (target attention) writes the key and value gradients directly.
        checkGradients([random([2, 1, 32], seed: 13), random([2, 5, 32], seed: 14), random([2, 5, 32], seed: 15)]) {
            Tensor.attention(queries: $0[0], keys: $0[1], values: $0[2], heads: 2, mask: mask, closedBelow: -5e8)
        }
    }

    @Test func fullyBlockedRowsGiveZeroAndPassNoGradient() {
        let q = random([1, 2, 4], seed: 10).detached()
        let k = Tensor(shape: [1, 3, 4], scalars: random([1, 3, 4], seed: 11).scalars, requiresGradient: true)
        let v = Tensor(shape: [1, 3, 4], scalars: random([1, 3, 4], seed: 12).scalars, requiresGradient: true)
        let mask = Tensor(shape: [1, 1, 2, 3], scalars: [-1e9, -1e9, -1e9, 0, 0, -1e9])
        let output = Tensor.attention(queries: q, keys: k, values: v, heads: 1, mask: mask, closedBelow: -5e8)
        #expect(Array(output.scalars[0..<4]) == [0, 0, 0, 0])
        output.sum().backward()
        // Only query 1 attends, to keys 0 and 1: key 2's value gets no gradient.
        #expect(Array(v.gradient!.scalars[8..<12]) == [0, 0, 0, 0])
    }

    /// Attention-weight dropout (SASRec's) drops exactly the weights `Tensor.dropout` drops
    /// from the weight tensor, in the output and in all three gradients.
    @Test(arguments: [(2, 6, 6, 2, 8), (1, 5, 5, 1, 64)])
    func weightDropoutMatchesDropoutOfTheWeights(shape: (Int, Int, Int, Int, Int)) {
        let (batch, lq, lk, heads, e) = shape
        let causal = Tensor(shape: [lq, lk], scalars: (0..<(lq * lk)).map { $0 % lk > $0 / lk ? -1e9 : 0 })
        let dropout = (keep: Float(0.6), key: UInt64(0x1234_5678_9ABC))
        func inputs() -> [Tensor] {
            [[batch, lq, heads * e], [batch, lk, heads * e], [batch, lk, heads * e]].enumerated().map { index, shape in
                Tensor(shape: shape, scalars: random(shape, seed: 20 + UInt64(index)).scalars, requiresGradient: true)
            }
        }
        let (fusedInputs, unfusedInputs) = (inputs(), inputs())
        let fused = Tensor.attention(
            queries: fusedInputs[0], keys: fusedInputs[1], values: fusedInputs[2], heads: heads, mask: causal,
            closedBelow: -5e8, dropout: dropout)
        let unfused = reference(
            unfusedInputs[0], unfusedInputs[1], unfusedInputs[2], heads: heads, mask: causal, closedBelow: -5e8, dropout: dropout)
        #expect(zip(fused.scalars, unfused.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
        let plain = Tensor.attention(queries: fusedInputs[0], keys: fusedInputs[1], values: fusedInputs[2], heads: heads, mask: causal)
        #expect(plain.scalars != fused.scalars)
        let weights = uniform(fused.shape, -1, 1, seed: 30)
        (fused * weights).sum().backward()
        (unfused * weights).sum().backward()
        for (left, right) in zip(fusedInputs, unfusedInputs) {
            #expect(zip(left.gradient!.scalars, right.gradient!.scalars).allSatisfy { abs($0 - $1) <= 1e-4 })
        }
        checkGradients(inputs().map { $0.detached() }) {
            Tensor.attention(queries: $0[0], keys: $0[1], values: $0[2], heads: heads, mask: causal, closedBelow: -5e8, dropout: dropout)
        }
    }
}
