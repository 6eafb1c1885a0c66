import Foundation
import FunnelNN
import FunnelTensor

/// DPO training of a ``LlamaAdapterModel``'s LoRA adapters against a frozen ``LlamaModel``
/// reference (Rafailov et al., NeurIPS 2023; ECPO's last stage, conversational.md §3 stage 4).
///
/// For a batch of `n` preference pairs `(prompt, chosen, rejected)`:
/// - policy log-probabilities `π_c`, `π_r` `[n]`: ``LlamaAdapterModel/completionLogProbability(prompt:completion:)``,
///   differentiable in the adapters;
/// - reference log-probabilities `ρ_c`, `ρ_r` `[n]`: ``LlamaModel/logProbability(prompt:completion:)``
///   (float64 inference, constants; cached per pair since the reference never changes);
/// - loss ``DirectPreferenceOptimisation/loss(policyChosen:policyRejected:referenceChosen:referenceRejected:)``
///   `= mean softplus(−β((π_c − ρ_c) − (π_r − ρ_r)))`, then one Adam step over the adapters.
///
/// While the adapters' `B` are zero the policy equals the reference and the loss is `ln 2`.
/// Deterministic for a model seed and a thread count.
public final class DirectPreferenceTraining {
    /// One preference: the chosen completion is preferred to the rejected one after `prompt`.
    public struct Pair: Sendable, Hashable {
        /// `[P]` token ids, `P ≥ 1`.
        public var prompt: [Int32]
        /// `[C]` token ids, `C ≥ 1`.
        public var chosen: [Int32]
        /// `[R]` token ids, `R ≥ 1`.
        public var rejected: [Int32]

        public init(prompt: [Int32], chosen: [Int32], rejected: [Int32]) {
            self.prompt = prompt
            self.chosen = chosen
            self.rejected = rejected
        }
    }

    /// The policy being trained (its adapters are updated in place).
    public let policy: LlamaAdapterModel
    /// The frozen reference.
    public let reference: LlamaModel
    /// `β` and the loss.
    public let objective: DirectPreferenceOptimisation
    /// Adam over ``policy``'s adapter parameters, by name.
    public let optimizer: Adam
    /// `(ρ_c, ρ_r)` of every pair seen so far.
    private var referenceCache: [Pair: (chosen: Double, rejected: Double)] = [:]

    /// - Parameters:
    ///   - policy: the adapter model to train (usually over `reference`'s weights).
    ///   - reference: the frozen model the implicit rewards are measured against.
    ///   - beta: DPO's `β` (ECPO: 0.1).
    ///   - learningRate: Adam's step size ([ASSUMED] 5e-5, a common LoRA DPO rate).
    public init(
        policy: LlamaAdapterModel, reference: LlamaModel, beta: Float = 0.1,
        learningRate: Float = 5e-5
    ) {
        self.policy = policy
        self.reference = reference
        objective = DirectPreferenceOptimisation(beta: beta)
        optimizer = Adam(namedParameters: policy.namedParameters(), learningRate: learningRate)
    }

    /// `(ρ_c, ρ_r)` of `pair` from the reference (computed once, then cached).
    public func referenceLogProbabilities(_ pair: Pair) throws -> (chosen: Double, rejected: Double)
    {
        if let cached = referenceCache[pair] { return cached }
        let values = (
            chosen: try reference.logProbability(prompt: pair.prompt, completion: pair.chosen),
            rejected: try reference.logProbability(prompt: pair.prompt, completion: pair.rejected)
        )
        referenceCache[pair] = values
        return values
    }

    /// The batch's DPO loss `[]` (differentiable in the policy's adapters) and its evaluation
    /// (loss, rewards, margin, accuracy) at the current adapters.
    /// - Throws: ``LlamaModel/InputError`` for no pairs, an empty sequence or an id outside the
    ///   vocabulary.
    public func loss(_ pairs: [Pair]) throws -> (
        loss: Tensor, evaluation: DirectPreferenceOptimisation.Evaluation
    ) {
        guard !pairs.isEmpty else {
            throw LlamaModel.InputError(description: "no preference pairs")
        }
        var chosen: [Tensor] = []
        var rejected: [Tensor] = []
        var references: [(chosen: Double, rejected: Double)] = []
        for pair in pairs {
            chosen.append(
                try policy.completionLogProbability(prompt: pair.prompt, completion: pair.chosen)
                    .reshaped([1]))
            rejected.append(
                try policy.completionLogProbability(prompt: pair.prompt, completion: pair.rejected)
                    .reshaped([1]))
            references.append(try referenceLogProbabilities(pair))
        }
        let policyChosen = Tensor.concatenated(chosen, alongAxis: 0)
        let policyRejected = Tensor.concatenated(rejected, alongAxis: 0)
        let loss = objective.loss(
            policyChosen: policyChosen, policyRejected: policyRejected,
            referenceChosen: Tensor(references.map { Float($0.chosen) }),
            referenceRejected: Tensor(references.map { Float($0.rejected) }))
        let evaluation = objective.evaluate(
            zip(zip(policyChosen.scalars, policyRejected.scalars), references).map {
                policy, reference in
                DirectPreferenceOptimisation.Pair(
                    policyChosen: Double(policy.0), policyRejected: Double(policy.1),
                    referenceChosen: reference.chosen, referenceRejected: reference.rejected)
            })
        return (loss, evaluation)
    }

    /// One Adam step on the adapters from the DPO loss of `pairs`; returns the evaluation before
    /// the step.
    @discardableResult
    public func step(_ pairs: [Pair]) throws -> DirectPreferenceOptimisation.Evaluation {
        policy.zeroGradients()
        let (loss, evaluation) = try loss(pairs)
        loss.backward()
        optimizer.step()
        return evaluation
    }
}
