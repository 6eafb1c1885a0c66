import Foundation
import FunnelModels
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

/// entire-space.md §6's oracle: `r̂* = [0.3, 0.7, 0.6, 0.85]`.
@Suite struct DCMTTests {
    typealias Oracle = EntireSpaceOracle

    let model = try! DCMT(dataset: EntireSpaceOracle.dataset, configuration: .init(), seed: 1)

    @Test func oracleBatch() {
        let terms = model.counterfactualLoss(
            ctr: Oracle.ctr, cvr: Oracle.cvr, counterfactual: Oracle.logits([0.3, 0.7, 0.6, 0.85]),
            click: Oracle.click, conversion: Oracle.conversion)
        expectClose(
            [terms.factual.scalar, terms.counterfactual.scalar, terms.constraint.scalar, terms.total.scalar],
            [0.334715, 0.192683, 0.0875, 0.527486])
    }

    @Test func complementaryTowersSatisfyTheConstraint() {
        let terms = model.counterfactualLoss(
            ctr: Oracle.ctr, cvr: Oracle.cvr, counterfactual: Oracle.logits([0.2, 0.8, 0.7, 0.9]),
            click: Oracle.click, conversion: Oracle.conversion)
        expectClose([terms.constraint.scalar], [0], tolerance: 1e-6)
    }

    @Test func everyRowClickedLeavesNoCounterfactualTerm() {
        let terms = model.counterfactualLoss(
            ctr: Oracle.ctr, cvr: Oracle.cvr, counterfactual: Oracle.logits([0.3, 0.7, 0.6, 0.85]),
            click: Tensor([1, 1, 1, 1]), conversion: Oracle.conversion)
        #expect(terms.counterfactual.scalar == 0)
    }

    @Test func counterfactualLabelIsTheOppositeOutcome() {
        // Pitfall 1: on a non-clicked row the counterfactual tower is pushed toward 1.
        let counterfactual = Oracle.logits([0.5])
        let terms = model.counterfactualLoss(
            ctr: Oracle.logits([0.5]), cvr: Oracle.logits([0.5]), counterfactual: counterfactual,
            click: Tensor([0]), conversion: Tensor([0]))
        terms.counterfactual.backward()
        #expect(denseGradient(of: counterfactual)[0] < 0)
    }

    @Test func fullObjectiveAddsClickAndClickConversionLosses() throws {
        let counterfactual = Oracle.logits([0.3, 0.7, 0.6, 0.85])
        let loss = try model.objective(["ctr": Oracle.ctr, "cvr": Oracle.cvr, "counterfactual_cvr": counterfactual], batch: Oracle.batch).total
        expectClose([loss.scalar], [0.601986 + 0.527486 + 0.254561])
    }
}
