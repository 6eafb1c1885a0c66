import Testing

@testable import FunnelTensor
import FunnelTestSupport

/// `Tensor.mixture` against the stacked batched product it replaces, its gradients against
/// finite differences, and its independence from the thread count and the CPU path.
@Suite struct MixtureTests {
    @Test func matchesTheStackedProduct() {
        let experts = (0..<5).map { uniform([7, 3], -1, 1, seed: UInt64($0)) }
        let weights = uniform([7, 5], -1, 1, seed: 9).softmax(alongAxis: 1)
        let stacked = Tensor.concatenated(experts.map { $0.reshaped([7, 1, 3]) }, alongAxis: 1)
        let product = Tensor.matmul(weights.reshaped([7, 1, 5]), stacked).reshaped([7, 3])
        expectClose(Tensor.mixture(experts, weights: weights).scalars, product.scalars, tolerance: 1e-6)
        // One expert with weight 1 is that expert, bit for bit (MMoE with E = 1 is Shared-Bottom).
        #expect(Tensor.mixture([experts[0]], weights: Tensor.ones([7, 1])).scalars == experts[0].scalars)
    }

    @Test func gradientsMatchFiniteDifferences() {
        checkGradients([uniform([4, 3], -1, 1, seed: 1), uniform([4, 3], -1, 1, seed: 2), uniform([4, 3], -1, 1, seed: 3), uniform([4, 3], -1, 1, seed: 4)]) {
            Tensor.mixture(Array($0[0..<3]), weights: $0[3])
        }
    }

    @Test func sameBitsOnEveryThreadCountAndPath() {
        func run() -> [[Float]] {
            let experts = (0..<8).map { index -> Tensor in
                let expert = uniform([300, 64], -1, 1, seed: 20 + UInt64(index))
                expert.requiresGradient = true
                return expert
            }
            let weights = uniform([300, 8], -1, 1, seed: 30)
            weights.requiresGradient = true
            let output = Tensor.mixture(experts, weights: weights)
            (output * uniform([300, 64], -1, 1, seed: 31)).sum().backward()
            return [output.scalars, weights.gradient!.scalars] + experts.map { $0.gradient!.scalars }
        }
        expectSameBitsOnEveryThreadCountAndPath(run)
    }
}
