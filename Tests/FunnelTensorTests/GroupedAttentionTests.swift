import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// `Tensor.attention` with values of another width than queries and keys, and value heads shared
/// by `valueGroups` consecutive query heads (Differential Transformer's layout, arXiv 2410.05258;
/// sequential.md §4.3): the output and all three gradients against the unfused composition.
@Suite struct GroupedAttentionTests {
    private func leaf(_ shape: [Int], seed: UInt64) -> Tensor {
        Tensor(
            shape: shape, scalars: uniform(shape, -1, 1, seed: seed).scalars, requiresGradient: true
        )
    }

    /// The unfused reference: value head `h / groups` repeated for each query head `h`, then
    /// softmax(q·kᵀ/√e + mask)·v per head, rows with no open key set to 0, optional dropout.
    private func reference(
        _ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int, groups: Int, mask: Tensor?,
        dropout: (keep: Float, key: UInt64)? = nil
    ) -> Tensor {
        let (batch, lq, lk) = (q.shape[0], q.shape[1], k.shape[1])
        let (e, ev) = (q.shape[2] / heads, v.shape[2] / (heads / groups))
        func split(_ x: Tensor, _ length: Int, _ width: Int) -> Tensor {
            x.reshaped([batch, length, heads, width]).permuted([0, 2, 1, 3])
        }
        let repeated = v.reshaped([batch, lk, heads / groups, 1, ev])
            .broadcasted(to: [batch, lk, heads / groups, groups, ev]).reshaped([
                batch, lk, heads * ev,
            ])
        var scores =
            Tensor.matmul(split(q, lq, e), split(k, lk, e), transposeRight: true)
            * (1 / Float(e).squareRoot())
        var weights: Tensor
        if let mask {
            scores = scores + mask
            let open = withoutGradients {
                (mask .> Tensor(-5e8)).max(alongAxes: [mask.rank - 1], keepingDimensions: true)
            }
            weights = scores.softmax() * open
        } else {
            weights = scores.softmax()
        }
        if let dropout { weights = Tensor.dropout(weights, keep: dropout.keep, key: dropout.key) }
        return Tensor.matmul(weights, split(repeated, lk, ev)).permuted([0, 2, 1, 3]).reshaped([
            batch, lq, heads * ev,
        ])
    }

    /// A causal mask that also closes key 0 for batch row 1 (its first query sees nothing).
    private func mask(batch: Int, lq: Int, lk: Int) -> Tensor {
        var values = [Float](repeating: 0, count: batch * lq * lk)
        for b in 0..<batch {
            for i in 0..<lq {
                for j in 0..<lk where j > i + (lk - lq) || (b == 1 && j == 0) {
                    values[(b * lq + i) * lk + j] = -1e9
                }
            }
        }
        return Tensor(shape: [batch, 1, lq, lk], scalars: values)
    }

    /// (batch, Lq, Lk, query heads, groups, e, ev); Lq = 1 takes the kernel's direct path; 21
    /// keys of widths 16 and 32 take the 16 × 16 register transposes, a whole block and a tail.
    @Test(arguments: [
        (2, 5, 5, 4, 2, 4, 8), (2, 3, 6, 2, 1, 4, 6), (2, 6, 6, 4, 2, 8, 16), (2, 1, 5, 4, 2, 4, 8),
        (1, 4, 4, 6, 3, 3, 2), (1, 21, 21, 2, 2, 16, 32),
    ])
    func matchesTheUnfusedCompositionWithGradients(shape: (Int, Int, Int, Int, Int, Int, Int)) {
        let (batch, lq, lk, heads, groups, e, ev) = shape
        let shapes = [
            [batch, lq, heads * e], [batch, lk, heads * e], [batch, lk, heads / groups * ev],
        ]
        for dropout in [nil, (keep: Float(0.7), key: UInt64(0xBEEF))]
            as [(keep: Float, key: UInt64)?]
        {
            let fusedInputs = shapes.enumerated().map { leaf($1, seed: 40 + UInt64($0)) }
            let unfusedInputs = shapes.enumerated().map { leaf($1, seed: 40 + UInt64($0)) }
            let mask = mask(batch: batch, lq: lq, lk: lk)
            let fused = Tensor.attention(
                queries: fusedInputs[0], keys: fusedInputs[1], values: fusedInputs[2], heads: heads,
                valueGroups: groups, mask: mask, closedBelow: -5e8, dropout: dropout)
            let unfused = reference(
                unfusedInputs[0], unfusedInputs[1], unfusedInputs[2], heads: heads, groups: groups,
                mask: mask,
                dropout: dropout)
            #expect(fused.shape == [batch, lq, heads * ev])
            expectClose(fused.scalars, unfused.scalars)
            let weights = uniform(fused.shape, -1, 1, seed: 50)
            (fused * weights).sum().backward()
            (unfused * weights).sum().backward()
            for (left, right) in zip(fusedInputs, unfusedInputs) {
                expectClose(left.gradient!.scalars, right.gradient!.scalars, tolerance: 1e-4)
            }
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        let causal = Tensor(shape: [4, 4], scalars: (0..<16).map { $0 % 4 > $0 / 4 ? -1e9 : 0 })
        checkGradients([
            uniform([2, 4, 8], seed: 60), uniform([2, 4, 8], seed: 61),
            uniform([2, 4, 12], seed: 62),
        ]) {
            Tensor.attention(
                queries: $0[0], keys: $0[1], values: $0[2], heads: 4, valueGroups: 2, mask: causal,
                closedBelow: -5e8)
        }
    }

    /// The query heads sharing a value head add to its gradient in order on one thread: the
    /// same bits on 1 and 2 threads (the CPU paths' exponentials differ, so not across paths).
    @Test func sharedValueHeadsGiveTheSameBitsOnEveryThreadCount() {
        func run() -> [[Float]] {
            let inputs = [[4, 7, 16], [4, 7, 16], [4, 7, 16]].enumerated().map {
                leaf($1, seed: 70 + UInt64($0))
            }
            let output = Tensor.attention(
                queries: inputs[0], keys: inputs[1], values: inputs[2], heads: 4, valueGroups: 2)
            (output * uniform(output.shape, seed: 80)).sum().backward()
            return [output.scalars] + inputs.map { $0.gradient!.scalars }
        }
        let reference = Compute.withThreads(1) { run() }
        #expect(Compute.withThreads(2) { run() } == reference)
        #expect(Compute.withThreads(2) { run() } == reference)
    }
}
