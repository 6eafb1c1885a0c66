import Foundation
import FunnelModels
import FunnelNN
import FunnelTensor
import FunnelTestSupport
import Testing

/// entire-space.md §5's oracle: `δ = [0.223144, 0.223144, 0.356675, 0.105361]`, `N_c = 2`.
@Suite struct ESCM2Tests {
    typealias Oracle = EntireSpaceOracle

    func model(_ estimator: ESCM2.Estimator, _ change: (inout ESCM2.Configuration) -> Void = { _ in }) throws -> ESCM2 {
        var configuration = ESCM2.Configuration()
        change(&configuration)
        return try ESCM2(dataset: Oracle.dataset, configuration: configuration, estimator: estimator, seed: 1)
    }

    @Test func inversePropensityCodeAndPaperForms() throws {
        let code = try model(.inversePropensity).inversePropensityRisk(
            ctr: Oracle.ctr, cvr: Oracle.cvr, click: Oracle.click, conversion: Oracle.conversion)
        let paper = try model(.inversePropensity) { $0.form = .paper }.inversePropensityRisk(
            ctr: Oracle.ctr, cvr: Oracle.cvr, click: Oracle.click, conversion: Oracle.conversion)
        expectClose([code.scalar, paper.scalar], [0.669431, 0.334715])
    }

    @Test func doublyRobustCodeForm() throws {
        let imputation = Oracle.logits([0.1, 0.3, 0.2, 0.05])
        let risk = try model(.doublyRobust).doublyRobustRisk(
            ctr: Oracle.ctr, cvr: Oracle.cvr, imputation: imputation, click: Oracle.click, conversion: Oracle.conversion)
        expectClose([risk.error.scalar, risk.imputation.scalar, risk.total.scalar], [0.147215, 0.013489, 0.160704])
    }

    @Test func doublyRobustWithExactImputation() throws {
        // ê = δ: L_IMP = 0 and L_DR = mean(ê).
        let errors = Losses.binaryCrossEntropy(logits: Oracle.cvr, labels: Oracle.conversion, reduction: .none).scalars
        let imputation = Oracle.logits(errors.map(Double.init))
        let risk = try model(.doublyRobust).doublyRobustRisk(
            ctr: Oracle.ctr, cvr: Oracle.cvr, imputation: imputation, click: Oracle.click, conversion: Oracle.conversion)
        expectClose([risk.imputation.scalar, risk.error.scalar], [0, errors.reduce(0, +) / 4])
    }

    @Test func withoutCounterfactualWeightItIsESMM() throws {
        let escm2 = try model(.inversePropensity) {
            $0.counterfactualWeight = 0
            $0.globalWeight = 0.3
        }
        let loss = try escm2.objective(["ctr": Oracle.ctr, "cvr": Oracle.cvr], batch: Oracle.batch).total
        let esmm = ESMM.losses(ctr: Oracle.ctr, cvr: Oracle.cvr, click: Oracle.click, conversion: Oracle.conversion)
        expectClose([loss.scalar], [esmm.ctr.scalar + 0.3 * esmm.ctcvr.scalar])
    }

    @Test func everyRowClickedWithCertaintyGivesTheNaiveLoss() throws {
        let ones = Tensor([1, 1, 1, 1])
        let risk = try model(.inversePropensity) { $0.form = .paper }.inversePropensityRisk(
            ctr: Tensor(Array(repeating: 40, count: 4)), cvr: Oracle.cvr, click: ones, conversion: Oracle.conversion)
        let naive = Losses.binaryCrossEntropy(logits: Oracle.cvr, labels: Oracle.conversion)
        expectClose([risk.scalar], [naive.scalar])
    }

    @Test func propensityWeightsAreConstants() throws {
        // Pitfall 1: no gradient of the counterfactual risk reaches the CTR tower.
        for escm2 in [try model(.inversePropensity), try model(.doublyRobust)] {
            let ctr = Oracle.ctr
            let cvr = Oracle.cvr
            let risk = escm2.estimator == .doublyRobust
                ? escm2.doublyRobustRisk(ctr: ctr, cvr: cvr, imputation: Oracle.logits([0.1, 0.3, 0.2, 0.05]),
                    click: Oracle.click, conversion: Oracle.conversion).total
                : escm2.inversePropensityRisk(ctr: ctr, cvr: cvr, click: Oracle.click, conversion: Oracle.conversion)
            risk.backward()
            #expect(denseGradient(of: ctr).allSatisfy { $0 == 0 })
            #expect(denseGradient(of: cvr).contains { $0 != 0 })
        }
    }

    @Test func logLossEpsilonBoundsTheError() throws {
        let escm2 = try model(.inversePropensity) {
            $0.form = .paper
            $0.logLossEpsilon = 1e-4
        }
        // A confident wrong prediction: δ ≤ −log(1e-4) = 9.21 instead of 40.
        let risk = escm2.inversePropensityRisk(
            ctr: Tensor([40]), cvr: Tensor([-40]), click: Tensor([1]), conversion: Tensor([1]))
        expectClose([risk.scalar], [9.210340])
    }
}
