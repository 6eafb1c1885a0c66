import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing

@testable import FunnelNN

@Suite struct BatchNormTests {
    /// PyTorch's BatchNorm1d on a 3 × 2 batch, computed by hand (numpy, float64):
    /// feature 0 = (1, 3, 5): mean 3, biased variance 8/3, unbiased 4; feature 1 = (2, 6, 10):
    /// mean 6, biased variance 32/3, unbiased 16; γ = (2, 0.5), β = (1, −1).
    @Test func pyTorchFormulas() {
        let layer = BatchNorm(features: 2)
        layer.gain.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: [2, 0.5]) }
        layer.offset.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: [1, -1]) }
        let batch = Tensor(shape: [3, 2], scalars: [1, 2, 3, 6, 5, 10])
        expectClose(layer(batch).scalars, [-1.4494851500, -1.6123721486, 1, -1, 3.4494851500, -0.3876278514], tolerance: 1e-5)
        // Running statistics: 0.9·(0, 0) + 0.1·mean, 0.9·(1, 1) + 0.1·unbiased variance.
        expectClose(layer.runningMean.scalars, [0.3, 0.6], tolerance: 1e-6)
        expectClose(layer.runningVariance.scalars, [1.3, 2.5], tolerance: 1e-6)
        // Evaluation reads the running statistics, and leaves them alone.
        layer.train(false)
        let rows = Tensor(shape: [2, 2], scalars: [3, 6, 0, 0])
        expectClose(layer(rows).scalars, [5.7360950885, 0.7076265212, 0.4737672124, -1.1897362801], tolerance: 1e-5)
        expectClose(layer.runningMean.scalars, [0.3, 0.6], tolerance: 1e-6)
        #expect(layer.namedParameters().map(\.name) == ["gain", "offset"])
        #expect(layer.namedBuffers().map(\.name) == ["runningMean", "runningVariance"])
    }

    @Test func gradients() {
        let layer = BatchNorm(features: 3)
        layer.gain.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: uniform([3], 0.5, 1.5, seed: 5).scalars) }
        layer.offset.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: uniform([3], -1, 1, seed: 6).scalars) }
        checkGradients([uniform([5, 3])], parameters: layer.parameters()) { layer($0[0]) }
        layer.train(false)
        checkGradients([uniform([5, 3])], parameters: layer.parameters()) { layer($0[0]) }
    }

    @Test func mlpWithBatchNorm() {
        var generator = RandomGenerator(seed: 2)
        let mlp = MLP(inputDimensions: 4, hiddenDimensions: [3, 2], outputDimensions: 1, dropout: 0.2, batchNorm: true, generator: &generator)
        #expect(mlp.batchNorms.count == 2 && mlp.norms.isEmpty)
        #expect(mlp.namedBuffers().map(\.name) == [
            "batchNorms.0.runningMean", "batchNorms.0.runningVariance", "batchNorms.1.runningMean", "batchNorms.1.runningVariance",
        ])
        // BatchNorm draws nothing: the linear layers are those of the MLP without it.
        var same = RandomGenerator(seed: 2)
        let plain = MLP(inputDimensions: 4, hiddenDimensions: [3, 2], outputDimensions: 1, dropout: 0.2, generator: &same)
        #expect(plain.layers.map(\.weight.scalars) == mlp.layers.map(\.weight.scalars))
        mlp.train(false)
        checkGradients([uniform([6, 4])], parameters: mlp.parameters(), step: 1e-3, tolerance: 5e-3) { mlp($0[0]) }
    }

    /// A checkpoint holds the running statistics: save → load gives the same evaluation outputs
    /// and the same statistics, bit for bit.
    @Test func checkpointKeepsRunningStatistics() throws {
        let directory = NSTemporaryDirectory() + "funnel-batchnorm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var generator = RandomGenerator(seed: 3)
        let trained = MLP(inputDimensions: 4, hiddenDimensions: [5], outputDimensions: 1, batchNorm: true, generator: &generator)
        for seed in 1...3 { _ = trained(uniform([8, 4], seed: UInt64(seed))) }  // moves the statistics
        let path = directory + "/model.safetensors"
        try trained.saveParameters(to: path)
        let (entries, _) = try SafeTensors.read(file: path)
        #expect(entries["batchNorms.0.runningMean"] != nil && entries["batchNorms.0.runningVariance"] != nil)
        var other = RandomGenerator(seed: 4)
        let loaded = MLP(inputDimensions: 4, hiddenDimensions: [5], outputDimensions: 1, batchNorm: true, generator: &other)
        try loaded.loadParameters(from: path)
        #expect(loaded.namedBuffers().map(\.buffer.scalars) == trained.namedBuffers().map(\.buffer.scalars))
        #expect(loaded.batchNorms[0].runningMean.scalars != [0, 0, 0, 0, 0])
        trained.train(false)
        loaded.train(false)
        let input = uniform([6, 4], seed: 9)
        #expect(loaded(input).scalars == trained(input).scalars)
        // A file without the statistics is refused by name.
        let parametersOnly = trained.namedParameters().reduce(into: [String: SafeTensors.Entry]()) {
            $0[$1.name] = SafeTensors.Entry(shape: $1.parameter.shape, values: .float32($1.parameter.scalars))
        }
        try SafeTensors.encode(parametersOnly).write(to: URL(fileURLWithPath: path))
        #expect {
            try loaded.loadParameters(from: path)
        } throws: { error in
            "\(error)".contains("parameter 'batchNorms.0.runningMean': not in the file")
        }
    }
}
