import Foundation
import FunnelNN
import FunnelTensor
import Testing

/// LoRA: a fresh adapter is the frozen layer; only A and B learn; the adapter saves and loads
/// alone; the merged weight computes the same map.
@Suite struct LowRankAdapterTests {
    func frozenLayer() -> Linear {
        var generator = RandomGenerator(seed: 3)
        return Linear(12, 7, generator: &generator)
    }

    func inputs(rows: Int = 5, seed: UInt64 = 4) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.randomNormal([rows, 12], using: &generator)
    }

    @Test func aFreshAdapterComputesTheFrozenLayerExactly() {
        let layer = frozenLayer()
        var generator = RandomGenerator(seed: 5)
        let adapter = LowRankAdapter(adapting: layer, rank: 4, alpha: 8, generator: &generator)
        let x = inputs()
        let plain = Tensor.matmul(x, layer.weight, transposeRight: true) + layer.bias!
        #expect(adapter(x).scalars == plain.scalars)
        let viaLinear = layer(x).scalars
        #expect(zip(adapter(x).scalars, viaLinear).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
        // A batch of sequences keeps its leading shape.
        #expect(adapter(x.reshaped([1, 5, 12])).shape == [1, 5, 7])
    }

    @Test func onlyTheLowRankFactorsAreParameters() {
        var generator = RandomGenerator(seed: 5)
        let adapter = LowRankAdapter(adapting: frozenLayer(), rank: 3, generator: &generator)
        #expect(adapter.namedParameters().map(\.name) == ["down", "up"])
        #expect(adapter.down.shape == [3, 12] && adapter.up.shape == [7, 3])
        #expect(adapter.scale == Float(16) / 3)
        let output = adapter(inputs()).sum()
        output.backward()
        // B = 0: the first gradient reaches B only.
        #expect(adapter.up.gradient.map { $0.scalars.contains { $0 != 0 } } == true)
        #expect(adapter.down.gradient.map { $0.scalars.allSatisfy { $0 == 0 } } ?? true)
        #expect(adapter.weight.gradient == nil && !adapter.weight.requiresGradient)
    }

    @Test func trainingMovesTheFactorsNotTheFrozenWeight() throws {
        let layer = frozenLayer()
        let frozen = layer.weight.scalars
        var generator = RandomGenerator(seed: 6)
        let adapter = LowRankAdapter(adapting: layer, rank: 4, alpha: 8, generator: &generator)
        let optimizer = Adam(namedParameters: adapter.namedParameters(), learningRate: 0.05)
        let x = inputs(rows: 32)
        let target = Tensor.randomNormal([32, 7], using: &generator)
        var losses: [Float] = []
        for _ in 0..<30 {
            adapter.zeroGradients()
            let loss = Losses.meanSquaredError(predictions: adapter(x), targets: target)
            losses.append(loss.scalars[0])
            loss.backward()
            optimizer.step()
        }
        #expect(losses.last! < losses.first! * 0.8)
        #expect(adapter.weight.scalars == frozen)
        // The merged weight computes the adapted map.
        let merged = Tensor.matmul(x, adapter.mergedWeight(), transposeRight: true) + layer.bias!
        #expect(zip(merged.scalars, adapter(x).scalars).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
    }

    @Test func theAdapterSavesAndLoadsAlone() throws {
        let layer = frozenLayer()
        var generator = RandomGenerator(seed: 7)
        let trained = LowRankAdapter(adapting: layer, rank: 2, generator: &generator)
        let optimizer = Adam(namedParameters: trained.namedParameters(), learningRate: 0.1)
        trained(inputs()).sum().backward()
        optimizer.step()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try trained.saveParameters(to: file)
        let (entries, _) = try SafeTensors.read(file: file)
        #expect(Set(entries.keys) == ["down", "up"])
        var other = RandomGenerator(seed: 99)
        let loaded = LowRankAdapter(adapting: layer, rank: 2, generator: &other)
        try loaded.loadParameters(from: file)
        #expect(loaded(inputs()).scalars == trained(inputs()).scalars)
    }
}
