import Foundation
import FunnelModels
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

/// entire-space.md §7's oracle.
@Suite struct NISETests {
    typealias Oracle = EntireSpaceOracle

    @Test func entropyOfANonClickedRowAndItsGradient() {
        let logits = Oracle.logits([0.2])
        let loss = NISE.semiSupervisedLoss(cvr: logits, click: Tensor([0]), conversion: Tensor([0]))
        expectClose([loss.scalar], [0.500402])
        loss.backward()
        // The pseudo-label keeps its gradient: dH/dz = −z·σ(z)(1 − σ(z)), positive here, so
        // gradient descent lowers the logit. A detached label would give exactly 0.
        expectClose(denseGradient(of: logits), [0.221807])
    }

    @Test func oracleBatch() throws {
        let model = try NISE(dataset: Oracle.dataset, configuration: .init(), seed: 1)
        let terms = model.losses(ctr: Oracle.ctr, cvr: Oracle.cvr, click: Oracle.click, conversion: Oracle.conversion)
        expectClose([terms.ctr.scalar, terms.cvr.scalar, terms.weight, terms.total.scalar], [0.601986, 0.345559, 1.742068, 1.203973])
    }

    @Test func weightIsCappedAndGuarded() throws {
        var configuration = NISE.Configuration()
        configuration.beta = 1.5
        configuration.alpha = 2
        let model = try NISE(dataset: Oracle.dataset, configuration: configuration, seed: 1)
        let capped = model.losses(ctr: Oracle.ctr, cvr: Oracle.cvr, click: Oracle.click, conversion: Oracle.conversion)
        expectClose([capped.weight], [3])
        // L_CVR ≈ 0 (confident, correct, clicked rows): w = α·β.
        let guarded = model.losses(ctr: Tensor([0, 0]), cvr: Tensor([80, -80]), click: Tensor([1, 1]), conversion: Tensor([1, 0]))
        expectClose([guarded.weight], [3])
    }
}
