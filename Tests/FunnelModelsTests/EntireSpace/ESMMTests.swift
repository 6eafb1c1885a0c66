import Foundation
import FunnelModels
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

/// entire-space.md §4's oracle and the naive baseline's click-only CVR term.
@Suite struct ESMMTests {
    typealias Oracle = EntireSpaceOracle

    @Test func oracleBatch() throws {
        let terms = ESMM.losses(ctr: Oracle.ctr, cvr: Oracle.cvr, click: Oracle.click, conversion: Oracle.conversion)
        expectClose([terms.ctr.scalar, terms.ctcvr.scalar], [0.601986, 0.254561])
        let model = try ESMM(dataset: Oracle.dataset, configuration: .init(), seed: 1)
        let objective = try model.objective(["ctr": Oracle.ctr, "cvr": Oracle.cvr], batch: Oracle.batch)
        let (loss, logs) = (objective.total, objective.loggedValues)
        expectClose([loss.scalar], [0.856548])
        #expect(logs["ctcvr_loss"] != nil && logs["ctr_loss"] != nil)
    }

    @Test func certainClickLeavesPlainConversionLoss() {
        // z_ctr → +∞ (ô = 1): L_CTCVR is the plain BCE of r̂ against o·r.
        let ctr = Tensor(Array(repeating: 40, count: 4))
        let terms = ESMM.losses(ctr: ctr, cvr: Oracle.cvr, click: Oracle.click, conversion: Oracle.conversion)
        let plain = Losses.binaryCrossEntropy(logits: Oracle.cvr, labels: Oracle.conversion)
        expectClose([terms.ctcvr.scalar], [plain.scalar])
    }

    @Test func naiveConversionLossIsTheMeanOverClicks() {
        let terms = NaiveCVR.losses(ctr: Oracle.ctr, cvr: Oracle.cvr, click: Oracle.click, conversion: Oracle.conversion)
        // (e(1, 0.8) + e(0, 0.2)) / 2: the non-clicked rows do not count.
        expectClose([terms.ctr.scalar, terms.cvr.scalar], [0.601986, 0.223144])
        let noClicks = NaiveCVR.losses(ctr: Oracle.ctr, cvr: Oracle.cvr, click: Tensor([0, 0, 0, 0]), conversion: Tensor([0, 0, 0, 0]))
        #expect(noClicks.cvr.scalar == 0)
    }

    @Test func naiveModelKeepsSeparateEmbeddingsByDefault() throws {
        let model = try NaiveCVR(dataset: Oracle.dataset, configuration: .init(), seed: 1)
        #expect(model.network.inputs.count == 2)
        #expect(try ESMM(dataset: Oracle.dataset, configuration: .init(), seed: 1).network.inputs.count == 1)
    }
}
