import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

/// RMSNorm (arXiv 1910.07467): values by hand and gradients against finite differences.
@Suite struct RMSNormTests {
    @Test func dividesByTheRootMeanSquareTimesTheScale() {
        let layer = RMSNorm(dimensions: 2, epsilon: 0)
        layer.scale.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: [1, 2]) }
        // Row (3, 4): rms √12.5; row (0, 0) with ε 0 would be NaN, so a second row (1, −1): rms 1.
        let output = layer(Tensor(shape: [2, 2], scalars: [3, 4, 1, -1])).scalars
        let rms = Float(12.5).squareRoot()
        expectClose(output, [3 / rms, 8 / rms, 1, -2])
    }

    @Test func gradientsMatchFiniteDifferences() {
        let layer = RMSNorm(dimensions: 4)
        layer.scale.withUnsafeMutableBufferPointer {
            _ = $0.update(fromContentsOf: uniform([4], 0.5, 1.5, seed: 3).scalars)
        }
        checkGradients([uniform([2, 3, 4], seed: 4)], parameters: layer.parameters()) {
            layer($0[0])
        }
        #expect(layer.namedParameters().map(\.name) == ["scale"])
    }
}
