import FunnelTensor

/// Inverse-propensity weights and the IPS and doubly-robust risk estimators that the
/// entire-space CVR methods share (entire-space.md §0 convention 4, §3): propensities used as
/// denominators are floored, and the weights are constants — no gradient flows into the model
/// that produced the propensities.
///
/// Every tensor argument is `[n]`; `observed` holds 1 where the label is observed (a click)
/// and 0 elsewhere.
public enum CounterfactualRisk {
    /// How an IPS sum is normalised.
    public enum Normalisation: String, Codable, Sendable, CaseIterable, StrictEnum {
        /// `(1/|D|) Σ_O δ/P` — unbiased (Schnabel et al., ICML 2016, arXiv 1602.05352).
        case all
        /// `Σ_O δ/P / Σ_O 1/P` — self-normalised, lower variance, slightly biased.
        case selfNormalised
    }

    /// `sg(o / max(σ(z), floor))`, capped at `cap`: the weight of an observed (clicked) row
    /// whose propensity is the CTR `σ(z)`; 0 on unobserved rows.
    public static func observedWeights(propensityLogits: Tensor, observed: Tensor, floor: Float = 1e-6, cap: Float? = nil) -> Tensor {
        withoutGradients {
            let weights = observed / propensityLogits.detached().sigmoid().clamped(min: floor)
            return cap.map { weights.clamped(max: $0) } ?? weights
        }
    }

    /// `sg((1 − o) / max(1 − σ(z), floor))`, capped at `cap`: the weight of an unobserved
    /// (non-clicked) row; `1 − σ(z)` is computed as `σ(−z)`.
    public static func unobservedWeights(propensityLogits: Tensor, observed: Tensor, floor: Float = 1e-6, cap: Float? = nil) -> Tensor {
        withoutGradients {
            let weights = (1 - observed) / (-propensityLogits.detached()).sigmoid().clamped(min: floor)
            return cap.map { weights.clamped(max: $0) } ?? weights
        }
    }

    /// The IPS estimate of the mean loss over all rows from the observed rows' losses (§3.1):
    /// `(1/|D|) Σ_O δ/P` or its self-normalised form. The weights are constants; gradients
    /// reach `losses` only.
    /// - Parameters:
    ///   - losses: per-row losses `δ` (values on unobserved rows are ignored).
    ///   - propensities: `P(O = 1)` per row, floored at `floor`.
    public static func inversePropensity(
        losses: Tensor, observed: Tensor, propensities: Tensor, floor: Float = 1e-6, cap: Float? = nil,
        normalisation: Normalisation = .all
    ) -> Tensor {
        let weights = withoutGradients { () -> Tensor in
            let weights = observed / propensities.detached().clamped(min: floor)
            return cap.map { weights.clamped(max: $0) } ?? weights
        }
        let total = (weights * losses).sum()
        switch normalisation {
        case .all: return total / Float(losses.count)
        case .selfNormalised: return total / Swift.max(weights.sum().scalar, Float.leastNormalMagnitude)
        }
    }

    /// The doubly-robust estimate and its imputation loss, paper form (Wang, Zhang, Sun, Qi,
    /// ICML 2019; §3.2): `L_DR = (1/|D|) Σ_D [ê + o·(e − ê)/p̂]` and
    /// `L_imp = (1/|D|) Σ_D o·(e − ê)²/p̂`. The weights `o/p̂` are constants.
    /// - Parameters:
    ///   - errors: per-row prediction errors `e` (needed where observed).
    ///   - imputedErrors: the imputation model's `ê` for every row.
    public static func doublyRobust(
        errors: Tensor, imputedErrors: Tensor, observed: Tensor, propensities: Tensor, floor: Float = 1e-6,
        cap: Float? = nil
    ) -> (risk: Tensor, imputation: Tensor) {
        let weights = withoutGradients { () -> Tensor in
            let weights = observed / propensities.detached().clamped(min: floor)
            return cap.map { weights.clamped(max: $0) } ?? weights
        }
        // The weight 0 already drops unobserved rows; `where` also keeps an infinite error there from becoming NaN.
        let residual = Tensor.where(observed .> 0, errors - imputedErrors, Tensor(0))
        let rows = Float(errors.count)
        return ((imputedErrors + weights * residual).sum() / rows, (weights * residual * residual).sum() / rows)
    }
}
