import Foundation
import FunnelNN
import FunnelTensor

/// Supervised fine-tuning of a ``LlamaAdapterModel``'s LoRA adapters on (prompt, completion)
/// examples, ECPO's SFT stage before DPO (conversational.md §3): the completion-only loss
///
///     L = −(1 / Σ_e C_e) · Σ_e Σ_i log p(c_{e,i} | prompt_e, c_{e,<i})
///
/// (the mean negative log-likelihood over every completion token of the batch; prompt tokens
/// are context only and never predicted), minimised with Adam over the adapters' `A` and `B`.
/// The frozen weights take no gradient. Deterministic for a model seed and a thread count.
public final class SupervisedFineTuning {
    /// One training example: the completion is scored, the prompt is conditioned on.
    public struct Example: Sendable, Equatable {
        /// `[P]` token ids, `P ≥ 1`.
        public var prompt: [Int32]
        /// `[C]` token ids, `C ≥ 1`.
        public var completion: [Int32]

        public init(prompt: [Int32], completion: [Int32]) {
            self.prompt = prompt
            self.completion = completion
        }
    }

    /// The policy being fine-tuned (its adapters are updated in place).
    public let model: LlamaAdapterModel
    /// Adam over ``model``'s adapter parameters, by name.
    public let optimizer: Adam

    /// - Parameters:
    ///   - model: the adapter model to train.
    ///   - learningRate: Adam's step size ([ASSUMED] 1e-4, a common LoRA SFT rate).
    public init(model: LlamaAdapterModel, learningRate: Float = 1e-4) {
        self.model = model
        optimizer = Adam(namedParameters: model.namedParameters(), learningRate: learningRate)
    }

    /// The completion-only mean negative log-likelihood of `examples` as a differentiable
    /// scalar `[]`.
    /// - Throws: ``LlamaModel/InputError`` for no examples, an empty prompt or completion, or an
    ///   id outside the vocabulary.
    public func loss(_ examples: [Example]) throws -> Tensor {
        guard !examples.isEmpty else { throw LlamaModel.InputError(description: "no examples") }
        var total: Tensor?
        var tokens = 0
        for example in examples {
            let logProbability = try model.completionLogProbability(
                prompt: example.prompt, completion: example.completion)
            total = total.map { $0 + logProbability } ?? logProbability
            tokens += example.completion.count
        }
        guard let total else { throw LlamaModel.InputError(description: "no examples") }
        return -total / Float(tokens)
    }

    /// One Adam step on the adapters from the loss of `examples`; returns that loss (before the
    /// step).
    @discardableResult
    public func step(_ examples: [Example]) throws -> Float {
        model.zeroGradients()
        let loss = try loss(examples)
        loss.backward()
        optimizer.step()
        return loss.scalar
    }
}
