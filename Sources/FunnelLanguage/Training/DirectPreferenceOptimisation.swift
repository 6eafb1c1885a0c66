import Foundation
import FunnelTensor

/// Direct Preference Optimisation (Rafailov et al., "Direct Preference Optimization: Your
/// Language Model is Secretly a Reward Model", NeurIPS 2023), the objective of ECPO's last stage
/// (conversational.md §3 stage 4, §5 item 5).
///
/// For a preference pair with the policy's summed completion log-probabilities `π_c`, `π_r`
/// (chosen, rejected) and the frozen reference's `ρ_c`, `ρ_r`:
/// - implicit rewards `r_c = β (π_c − ρ_c)`, `r_r = β (π_r − ρ_r)`;
/// - margin `m = r_c − r_r`;
/// - loss `−log σ(m) = softplus(−m)`, averaged over the batch.
///
/// Gradients for one pair of a batch of `n`: `∂L/∂π_c = −β σ(−m) / n`, `∂L/∂π_r = +β σ(−m) / n`;
/// the reference takes none. Oracles (§8): policy = reference gives `ln 2` for any pair; a
/// log-ratio margin of +10 at β = 0.1 gives `softplus(−1) = 0.313262`.
public struct DirectPreferenceOptimisation: Sendable, Equatable {
    /// `β` > 0, the strength of the implicit KL constraint (ECPO: 0.1).
    public var beta: Float

    public init(beta: Float = 0.1) {
        precondition(beta > 0 && beta.isFinite, "Funnel: DPO's beta must be positive, got \(beta)")
        self.beta = beta
    }

    /// The four summed completion log-probabilities of one preference pair.
    public struct Pair: Sendable, Equatable {
        public var policyChosen: Double
        public var policyRejected: Double
        public var referenceChosen: Double
        public var referenceRejected: Double

        public init(policyChosen: Double, policyRejected: Double, referenceChosen: Double, referenceRejected: Double) {
            self.policyChosen = policyChosen
            self.policyRejected = policyRejected
            self.referenceChosen = referenceChosen
            self.referenceRejected = referenceRejected
        }
    }

    /// A batch's loss, its gradients and the usual diagnostics.
    public struct Evaluation: Sendable, Equatable {
        /// The mean of `softplus(−m)` over the batch.
        public var loss: Double
        /// `∂L/∂π_c` and `∂L/∂π_r` of each pair (already divided by the batch size).
        public var policyChosenGradients: [Double]
        public var policyRejectedGradients: [Double]
        /// Means of `r_c`, `r_r` and `m` over the batch.
        public var chosenReward: Double
        public var rejectedReward: Double
        public var margin: Double
        /// The share of pairs with `r_c > r_r`.
        public var accuracy: Double
    }

    /// `softplus(x) = log(1 + eˣ)`, finite for any finite `x`.
    static func softplus(_ x: Double) -> Double {
        Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
    }

    /// `σ(x)`, without overflow for large `|x|`.
    static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
    }

    /// The loss, gradients and diagnostics of a batch of pairs (empty: all zero).
    public func evaluate(_ pairs: [Pair]) -> Evaluation {
        guard !pairs.isEmpty else {
            return Evaluation(loss: 0, policyChosenGradients: [], policyRejectedGradients: [], chosenReward: 0, rejectedReward: 0, margin: 0, accuracy: 0)
        }
        let beta = Double(self.beta)
        let count = Double(pairs.count)
        var evaluation = Evaluation(loss: 0, policyChosenGradients: [], policyRejectedGradients: [], chosenReward: 0, rejectedReward: 0, margin: 0, accuracy: 0)
        for pair in pairs {
            let chosen = beta * (pair.policyChosen - pair.referenceChosen)
            let rejected = beta * (pair.policyRejected - pair.referenceRejected)
            let margin = chosen - rejected
            let weight = beta * Self.sigmoid(-margin) / count
            evaluation.loss += Self.softplus(-margin) / count
            evaluation.policyChosenGradients.append(-weight)
            evaluation.policyRejectedGradients.append(weight)
            evaluation.chosenReward += chosen / count
            evaluation.rejectedReward += rejected / count
            evaluation.margin += margin / count
            evaluation.accuracy += (chosen > rejected ? 1 : 0) / count
        }
        return evaluation
    }

    /// The loss as a differentiable scalar of the policy's log-probabilities `[n]` (the reference's
    /// `[n]` are constants): `mean(softplus(−β((π_c − ρ_c) − (π_r − ρ_r))))`, for training a
    /// policy (e.g. its LoRA adapters) with FunnelNN's optimizers.
    public func loss(policyChosen: Tensor, policyRejected: Tensor, referenceChosen: Tensor, referenceRejected: Tensor) -> Tensor {
        precondition(
            policyChosen.shape == policyRejected.shape && policyChosen.shape == referenceChosen.shape && policyChosen.shape == referenceRejected.shape,
            "Funnel: DPO needs four log-probability tensors of one shape")
        let margin = ((policyChosen - referenceChosen.detached()) - (policyRejected - referenceRejected.detached())) * beta
        return (-margin).softplus().mean()
    }
}
