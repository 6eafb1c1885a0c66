import Foundation
import FunnelModels
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

/// entire-space.md §8's oracle: `û = [0.3, 0.7, 0.6, 0.85]`.
@Suite struct ChorusCVRTests {
    typealias Oracle = EntireSpaceOracle

    let model = try! ChorusCVR(dataset: EntireSpaceOracle.dataset, configuration: .init(), seed: 1)

    @Test func oracleBatch() throws {
        let uncvr = Oracle.logits([0.3, 0.7, 0.6, 0.85])
        let terms = model.losses(ctr: Oracle.ctr, cvr: Oracle.cvr, uncvr: uncvr, click: Oracle.click, conversion: Oracle.conversion)
        let names = ["ctr_loss", "ctcvr_loss", "ctuncvr_loss", "cvr_loss", "uncvr_loss", "align_loss"]
        expectClose(names.map { terms[$0]!.scalar }, [0.601986, 0.254561, 0.538423, 0.334715, 0.535012, 2.357568])
        let loss = try model.objective(["ctr": Oracle.ctr, "cvr": Oracle.cvr, "uncvr": uncvr], batch: Oracle.batch).total
        expectClose([loss.scalar], [4.622267])
    }

    @Test func alignmentWeights() {
        let weights = CounterfactualRisk.observedWeights(propensityLogits: Oracle.ctr, observed: Oracle.click)
            + CounterfactualRisk.unobservedWeights(propensityLogits: Oracle.ctr, observed: Oracle.click)
        expectClose(weights.scalars, [2, 4, 1.111111, 1.25])
    }

    @Test func complementaryTowersHaveNoAlignmentGradient() {
        let cvr = Oracle.cvr
        let uncvr = Oracle.logits([0.2, 0.8, 0.7, 0.9])
        model.alignment(ctr: Oracle.ctr, cvr: cvr, uncvr: uncvr, click: Oracle.click).backward()
        expectClose(denseGradient(of: cvr), [0, 0, 0, 0], tolerance: 1e-6)
        expectClose(denseGradient(of: uncvr), [0, 0, 0, 0], tolerance: 1e-6)
    }

    @Test func softLabelsAreConstants() {
        // Pitfall 1: the gradient of e(sg(1 − û), r̂) reaches r̂ only; û's gradient comes from
        // its own term e(sg(1 − r̂), û) alone.
        let cvr = Oracle.cvr
        let uncvr = Oracle.logits([0.3, 0.7, 0.6, 0.85])
        model.alignment(ctr: Oracle.ctr, cvr: cvr, uncvr: uncvr, click: Oracle.click).backward()
        let weights: [Float] = [2, 4, 1.111111, 1.25]
        let expected = zip(zip(cvr.scalars, uncvr.scalars), weights).map { pair, weight -> Float in
            let (r, u) = (1 / (1 + exp(-pair.0)), 1 / (1 + exp(-pair.1)))
            return weight * (r - (1 - u)) / 4
        }
        expectClose(denseGradient(of: cvr), expected)
    }
}
