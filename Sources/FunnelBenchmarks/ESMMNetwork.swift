import FunnelNN
import FunnelTensor

/// The network of `shared/bench/torch_esmm.py`, built from Funnel's layers: one shared
/// embedding table for the categorical fields (dimension 16, initialised N(0, 0.05)), the
/// dense inputs concatenated, and a CTR and a CVR tower 360 → 256 → 128 → 64 → 1 with ReLU
/// (ESMM: Ma et al., SIGIR 2018, arXiv 1804.07931).
///
/// Shapes: ids `[batch × fields]` row-major and dense `[batch, denseCount]` →
/// two logits `[batch]`.
final class ESMMNetwork: Module {
    let embedding: FieldEmbedding
    let ctrTower: MLP
    let cvrTower: MLP

    init(vocabularySizes: [Int], denseCount: Int, dimensions: Int = 16, hidden: [Int] = [256, 128, 64], seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        embedding = FieldEmbedding(
            vocabularySizes: vocabularySizes, dimensions: dimensions,
            initializer: .normal(mean: 0, standardDeviation: 0.05), generator: &generator)
        let width = vocabularySizes.count * dimensions + denseCount
        ctrTower = MLP(inputDimensions: width, hiddenDimensions: hidden, outputDimensions: 1, generator: &generator)
        cvrTower = MLP(inputDimensions: width, hiddenDimensions: hidden, outputDimensions: 1, generator: &generator)
        super.init()
    }

    func callAsFunction(ids: [Int32], dense: Tensor) -> (ctr: Tensor, cvr: Tensor) {
        let batch = dense.shape[0]
        let embedded = embedding(ids).reshaped([batch, -1])
        let input = Tensor.concatenated([embedded, dense], alongAxis: 1)
        return (ctrTower(input).reshaped([batch]), cvrTower(input).reshaped([batch]))
    }

    /// ESMM's loss: BCE(pCTR, click) + BCE(pCTR·pCVR, click ∧ conversion), from logits.
    func loss(ids: [Int32], dense: Tensor, clicks: Tensor, conversions: Tensor) -> Tensor {
        let (ctr, cvr) = self(ids: ids, dense: dense)
        return Losses.binaryCrossEntropy(logits: ctr, labels: clicks)
            + Losses.productBinaryCrossEntropy(firstLogits: ctr, secondLogits: cvr, labels: conversions)
    }
}
