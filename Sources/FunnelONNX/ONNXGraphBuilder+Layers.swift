import FunnelNN
import FunnelTensor

/// FunnelNN layers in inference mode written as ONNX opset-17 nodes. Every function takes the
/// name of a `[N, in]` float value and returns the name of its `[N, out]` result.
extension ONNXGraphBuilder {
    /// ``Linear``: `y = x·Wᵀ + b` as `Gemm(x, W, b, transB = 1)`; `[N, in]` → `[N, out]`.
    func linear(_ input: String, _ layer: Linear, name: String) -> String {
        let weight = constant("\(name).weight", layer.weight)
        var inputs = [input, weight]
        if let bias = layer.bias { inputs.append(constant("\(name).bias", bias)) }
        return node("Gemm", inputs, attributes: [Self.attribute("transB", int: 1)], name: name)
    }

    /// ``MLP`` at inference: per hidden layer Linear → LayerNorm (`LayerNormalization`, last
    /// axis) or BatchNorm (`BatchNormalization` with the running statistics) → activation;
    /// dropout is the identity. Then the optional output Linear. `[N, in]` → `[N, out]`.
    func mlp(_ input: String, _ block: MLP, name: String) throws -> String {
        var hidden = input
        for (index, layer) in block.layers.enumerated() {
            hidden = linear(hidden, layer, name: "\(name).layers.\(index)")
            if !block.norms.isEmpty { hidden = layerNorm(hidden, block.norms[index], name: "\(name).norms.\(index)") }
            if !block.batchNorms.isEmpty {
                hidden = batchNorm(hidden, block.batchNorms[index], name: "\(name).batchNorms.\(index)")
            }
            hidden = try activation(hidden, block.activation, name: "\(name).activation.\(index)")
        }
        guard let output = block.output else { return hidden }
        return linear(hidden, output, name: "\(name).output")
    }

    /// ``LayerNorm``: `(x − mean)/√(var + ε)·gain + offset` over the last axis.
    func layerNorm(_ input: String, _ layer: LayerNorm, name: String) -> String {
        let gain = constant("\(name).gain", layer.gain)
        let offset = constant("\(name).offset", layer.offset)
        return node(
            "LayerNormalization", [input, gain, offset],
            attributes: [Self.attribute("axis", int: -1), Self.attribute("epsilon", float: layer.epsilon)], name: name)
    }

    /// ``BatchNorm`` in evaluation mode: the running mean and variance (ONNX's inference form).
    func batchNorm(_ input: String, _ layer: BatchNorm, name: String) -> String {
        let inputs = [
            input, constant("\(name).gain", layer.gain), constant("\(name).offset", layer.offset),
            constant("\(name).runningMean", layer.runningMean), constant("\(name).runningVariance", layer.runningVariance),
        ]
        return node("BatchNormalization", inputs, attributes: [Self.attribute("epsilon", float: layer.epsilon)], name: name)
    }

    /// An ``Activation``; GELU has no opset-17 operator and is refused.
    func activation(_ input: String, _ activation: Activation, name: String) throws -> String {
        switch activation {
        case .relu: return node("Relu", [input], name: name)
        case .sigmoid: return node("Sigmoid", [input], name: name)
        case .tanh: return node("Tanh", [input], name: name)
        case .identity: return input
        case .gelu:
            throw ONNXExport.Error(description: "\(name): the GELU activation has no ONNX opset-17 operator; export supports relu, sigmoid, tanh and identity")
        }
    }

    /// ``FieldEmbedding`` of one id input per field: each field's rows (its slice of the
    /// shared table, or its own table) become an initializer `[rows, d]` read with `Gather`;
    /// the fields are concatenated. ids `[N]` int64 each → `[N, fields·d]` (the layout of
    /// `embedding(ids).reshaped([n, -1])`).
    func fieldEmbedding(_ idInputs: [String], _ embedding: FieldEmbedding, name: String) -> String {
        precondition(idInputs.count == embedding.fieldCount, "Funnel: \(idInputs.count) id inputs for \(embedding.fieldCount) fields")
        let d = embedding.dimensions
        let shared = embedding.tables.count == 1 ? embedding.tables[0].table.scalars : nil
        let columns = idInputs.enumerated().map { field, ids -> String in
            let rows = embedding.rowsPerField[field]
            let values: [Float]
            if let shared {
                let start = Int(embedding.offsets[field]) * d
                values = Array(shared[start..<(start + rows * d)])
            } else {
                values = embedding.tables[field].table.scalars
            }
            let table = constant("\(name).field\(field).table", shape: [rows, d], values: values)
            return node("Gather", [table, ids], attributes: [Self.attribute("axis", int: 0)], name: "\(name).field\(field)")
        }
        return concatenate(columns, name: name)
    }

    /// Columns side by side (`Concat` on axis 1); one column is returned as it is.
    func concatenate(_ parts: [String], name: String) -> String {
        parts.count == 1 ? parts[0] : node("Concat", parts, attributes: [Self.attribute("axis", int: 1)], name: name)
    }

    /// `[N, 1]` → `[N]`.
    func flatten(_ input: String, name: String) -> String {
        node("Reshape", [input, int64Vector([-1])], name: name)
    }

    /// ``MixtureOfExperts/mix(_:logits:)``: `Σ_k softmax(logits)_k · experts[k]`. Experts
    /// `[N, w]` each, logits `[N, K]` → `[N, w]` (stacked `[N, K, w]`, weights `[N, K, 1]`,
    /// `Mul`, `ReduceSum` over axis 1).
    func mix(_ experts: [String], logits: String, name: String) -> String {
        let weights = node("Softmax", [logits], attributes: [Self.attribute("axis", int: 1)], name: "\(name).weights")
        let stacked = experts.count == 1
            ? node("Unsqueeze", [experts[0], int64Vector([1])], name: "\(name).stacked")
            : node("Concat", experts.map { node("Unsqueeze", [$0, int64Vector([1])], name: "\(name).expert") },
                   attributes: [Self.attribute("axis", int: 1)], name: "\(name).stacked")
        let columns = node("Unsqueeze", [weights, int64Vector([2])], name: "\(name).columns")
        let weighted = node("Mul", [stacked, columns], name: "\(name).weighted")
        return node("ReduceSum", [weighted, int64Vector([1])], attributes: [Self.attribute("keepdims", int: 0)], name: name)
    }

    /// ``MixtureOfExperts``: the experts on the input, then one mixture per gate.
    func mixtureOfExperts(_ input: String, _ mixture: MixtureOfExperts, name: String) throws -> [String] {
        let experts = try mixture.experts.enumerated().map { try mlp(input, $1, name: "\(name).experts.\($0)") }
        return mixture.gates.enumerated().map { index, gate in
            mix(experts, logits: linear(input, gate, name: "\(name).gates.\(index)"), name: "\(name).mixture.\(index)")
        }
    }

    /// ``ProgressiveLayeredExtraction``: level by level, task gates over `[task experts, shared
    /// experts]` and the shared gate over `[every task's experts, shared experts]`.
    func progressiveLayeredExtraction(_ input: String, _ extraction: ProgressiveLayeredExtraction, name: String) throws -> [String] {
        var states = Array(repeating: input, count: extraction.tasks)
        var shared: String? = input
        for (levelIndex, level) in extraction.levels.enumerated() {
            let prefix = "\(name).levels.\(levelIndex)"
            let sharedOutputs = try shared.map { state in
                try level.shared.enumerated().map { try mlp(state, $1, name: "\(prefix).shared.\($0)") }
            } ?? []
            let taskOutputs = try zip(level.specific, states).enumerated().map { task, pair in
                try pair.0.enumerated().map { try mlp(pair.1, $1, name: "\(prefix).specific.\(task).\($0)") }
            }
            let next = states.indices.map { task in
                mix(taskOutputs[task] + sharedOutputs, logits: linear(states[task], level.taskGates[task], name: "\(prefix).taskGates.\(task)"),
                    name: "\(prefix).taskMixture.\(task)")
            }
            if let gate = level.sharedGate, let state = shared {
                shared = mix(taskOutputs.flatMap { $0 } + sharedOutputs, logits: linear(state, gate, name: "\(prefix).sharedGate"),
                             name: "\(prefix).sharedMixture")
            } else {
                shared = nil
            }
            states = next
        }
        return states
    }
}
