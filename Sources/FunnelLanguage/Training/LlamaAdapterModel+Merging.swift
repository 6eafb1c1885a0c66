import FunnelNN
import FunnelTensor

extension LlamaAdapterModel {
    /// The frozen weights with every adapter folded in, `W + (α/r)·B·A` per adapted projection
    /// (``FunnelNN/LowRankAdapter/mergedWeight()``), for serving the fine-tuned policy with the
    /// fast inference ``LlamaModel`` (cached greedy generation, float64 log-probabilities) — the
    /// same function as this model's ``logits(tokens:)`` up to Float32 rounding.
    ///
    /// Shapes as ``LlamaWeights``: the stacked `[hidden + 2·kv, hidden]` and `[2·ffn, hidden]`
    /// matrices are split back into q, k, v and gate, up. A new copy of every weight (the
    /// original weights are left untouched); a tied output stays tied.
    public func mergedWeights() throws -> LlamaWeights {
        let configuration = configuration
        let (hidden, keyValue, feedForward) = (
            configuration.hiddenSize, configuration.keyValueSize, configuration.feedForwardSize
        )
        var tensors: [String: [Float]] = [
            "token_embd.weight": weights.tokenEmbedding.scalars,
            "output_norm.weight": weights.outputNorm,
        ]
        if weights.output !== weights.tokenEmbedding {
            tensors["output.weight"] = weights.output.scalars
        }
        func merged(_ weight: Tensor, _ adapter: LowRankAdapter?) -> [Float] {
            (adapter?.mergedWeight() ?? weight).scalars
        }
        for (index, (frozen, layer)) in zip(weights.layers, layers).enumerated() {
            let prefix = "blk.\(index)."
            let queryKeyValue = merged(frozen.queryKeyValue, layer.queryKeyValue)
            tensors[prefix + "attn_q.weight"] = Array(queryKeyValue[0..<(hidden * hidden)])
            tensors[prefix + "attn_k.weight"] = Array(
                queryKeyValue[(hidden * hidden)..<((hidden + keyValue) * hidden)])
            tensors[prefix + "attn_v.weight"] = Array(
                queryKeyValue[((hidden + keyValue) * hidden)...])
            tensors[prefix + "attn_output.weight"] = merged(
                frozen.attentionOutput, layer.attentionOutput)
            let gateUp = merged(frozen.gateUp, layer.gateUp)
            tensors[prefix + "ffn_gate.weight"] = Array(gateUp[0..<(feedForward * hidden)])
            tensors[prefix + "ffn_up.weight"] = Array(gateUp[(feedForward * hidden)...])
            tensors[prefix + "ffn_down.weight"] = merged(frozen.down, layer.down)
            tensors[prefix + "attn_norm.weight"] = frozen.attentionNorm
            tensors[prefix + "ffn_norm.weight"] = frozen.feedForwardNorm
        }
        return try LlamaWeights(configuration: configuration, tensors: tensors)
    }
}
