import FunnelModels
import FunnelNN

/// The graphs of the supported models (``ONNXExport/supportedKinds``), written into an
/// ``ONNXGraphBuilder``: the inputs of the graph contract, each head's logit `[N]`, its
/// probability σ(logit) and the products of the binary evaluation tasks.
///
/// - ``LogisticRegression``: `bias + Σ_f w_f[id_f] + dense·vᵀ`.
/// - ``MLPCTRModel``: ``FeatureInput`` (`[N, F·d + D]`) → ``MLP`` → one logit.
/// - every ``EntireSpaceModel`` (naive-cvr, esmm, escm2-ipw, escm2-dr, dcmt, nise, chorus-cvr):
///   ``EntireSpaceNetwork`` — one input (or one per head), the towers, shared-bottom or mmoe
///   backbone, one tower per head.
/// - every ``MultiTaskModel`` (shared-bottom, mmoe, ple): ``MultiTaskNetwork`` — field
///   embeddings with the dense projection `Linear(D → d)`, the backbone, one tower per task.
enum ONNXModelGraph {
    /// What a build declared: the categorical and dense inputs (in order) and the outputs.
    struct Declared {
        var categorical: [String]
        var dense: [String]
        var outputs: [String]
    }

    static func build(_ model: any FunnelModel, kind: ModelKind, into builder: ONNXGraphBuilder) throws -> Declared {
        let categorical: [String], dense: [String]
        let logits: [(head: String, value: String)]
        if let regression = model as? LogisticRegression {
            (categorical, dense) = (regression.categorical, regression.dense)
            try declareInputs(categorical: categorical, dense: dense, kind: kind, into: builder)
            logits = [(regression.label, logisticRegression(regression, into: builder))]
        } else if let perceptron = model as? MLPCTRModel {
            guard perceptron.augmentation == nil else {
                throw ONNXExport.Error(description:
                    "model '\(kind.rawValue)' with 'rar' (recall augmentation) cannot be exported to ONNX: its input reads recalled items at run time")
            }
            (categorical, dense) = (perceptron.categorical, perceptron.dense)
            try declareInputs(categorical: categorical, dense: dense, kind: kind, into: builder)
            let features = featureInput(perceptron.input, name: "input", into: builder)
            logits = [(perceptron.label, builder.flatten(try builder.mlp(features, perceptron.tower, name: "tower"), name: "logit"))]
        } else if let entireSpace = model as? any EntireSpaceModel {
            let network = entireSpace.network
            (categorical, dense) = (network.inputs[0].categorical, network.inputs[0].dense)
            try declareInputs(categorical: categorical, dense: dense, kind: kind, into: builder)
            logits = try entireSpaceLogits(network, into: builder)
        } else if let multiTask = model as? any MultiTaskModel {
            let network = multiTask.network
            (categorical, dense) = (network.categorical, network.dense)
            try declareInputs(categorical: categorical, dense: dense, kind: kind, into: builder)
            logits = try multiTaskLogits(network, into: builder)
        } else {
            throw ONNXExport.Error(description:
                "model '\(kind.rawValue)' (\(type(of: model))) has no ONNX graph; supported kinds: "
                    + ONNXExport.supportedKinds.map(\.rawValue).joined(separator: ", "))
        }
        let outputs = declareOutputs(logits, tasks: model.evaluationTasks, into: builder)
        return Declared(categorical: categorical, dense: dense, outputs: outputs)
    }

    /// One int64 `[N]` input per categorical column, then `dense` `[N, D]`.
    private static func declareInputs(categorical: [String], dense: [String], kind: ModelKind, into builder: ONNXGraphBuilder) throws {
        guard !categorical.isEmpty || !dense.isEmpty else {
            throw ONNXExport.Error(description: "model '\(kind.rawValue)' reads no feature column: nothing to export")
        }
        if !dense.isEmpty, categorical.contains(ONNXExport.denseInput) {
            throw ONNXExport.Error(description:
                "model '\(kind.rawValue)': a categorical column is named '\(ONNXExport.denseInput)', the name of the dense input")
        }
        for column in categorical { builder.input(column, type: .int64) }
        if !dense.isEmpty { builder.input(ONNXExport.denseInput, type: .float, trailing: [dense.count]) }
    }

    /// σ of each head's logit under the head's name, then each binary task's product of
    /// several heads' probabilities. Returns the output names in order.
    private static func declareOutputs(
        _ logits: [(head: String, value: String)], tasks: [EvaluationTask], into builder: ONNXGraphBuilder
    ) -> [String] {
        var probabilities: [String: String] = [:]
        var outputs: [String] = []
        for (head, logit) in logits {
            let probability = builder.node("Sigmoid", [logit], name: "\(head).probability")
            probabilities[head] = probability
            builder.output(probability, as: head)
            outputs.append(head)
        }
        for task in tasks where task.kind == .binary && task.outputs.count > 1 {
            let factors = task.outputs.compactMap { probabilities[$0] }
            guard factors.count == task.outputs.count else { continue }
            var name = task.name.isEmpty ? "score" : task.name
            if outputs.contains(name) { name += "_product" }
            guard !outputs.contains(name) else { continue }
            let product = factors.dropFirst().reduce(factors[0]) { builder.node("Mul", [$0, $1], name: "\(name).product") }
            builder.output(product, as: name)
            outputs.append(name)
        }
        return outputs
    }

    /// `bias + Σ_f w_f[id_f] + dense·vᵀ`, `[N]`.
    private static func logisticRegression(_ model: LogisticRegression, into builder: ONNXGraphBuilder) -> String {
        var terms: [String] = []
        if let weights = model.weights {
            let perField = builder.fieldEmbedding(model.categorical, weights, name: "weights")
            terms.append(builder.node(
                "ReduceSum", [perField, builder.int64Vector([1])], attributes: [ONNXGraphBuilder.attribute("keepdims", int: 0)],
                name: "categorical_sum"))
        }
        if let denseWeights = model.denseWeights {
            terms.append(builder.flatten(builder.linear(ONNXExport.denseInput, denseWeights, name: "denseWeights"), name: "dense_term"))
        }
        let bias = builder.constant("bias", model.bias)
        return terms.reduce(bias) { builder.node("Add", [$0, $1], name: "logit") }
    }

    /// ``FeatureInput``: `[embeddings of the fields, dense]`, `[N, F·d + D]`.
    private static func featureInput(_ input: FeatureInput, name: String, into builder: ONNXGraphBuilder) -> String {
        var parts: [String] = []
        if let embedding = input.embedding { parts.append(builder.fieldEmbedding(input.categorical, embedding, name: "\(name).embedding")) }
        if !input.dense.isEmpty { parts.append(ONNXExport.denseInput) }
        return builder.concatenate(parts, name: name)
    }

    private static func entireSpaceLogits(_ network: EntireSpaceNetwork, into builder: ONNXGraphBuilder) throws -> [(head: String, value: String)] {
        guard network.sequence == nil else {
            throw ONNXExport.Error(description: "the 'eta' backbone (SimHash retrieval over a behaviour sequence) has no ONNX export; the towers, shared-bottom and mmoe backbones have")
        }
        let encoded = network.inputs.enumerated().map { featureInput($1, name: "inputs.\($0)", into: builder) }
        let representations: [String]
        if let mixture = network.mixture {
            representations = try builder.mixtureOfExperts(encoded[0], mixture, name: "mixture")
        } else if let bottom = network.bottom {
            representations = Array(repeating: try builder.mlp(encoded[0], bottom, name: "bottom"), count: network.heads.count)
        } else {
            representations = network.heads.indices.map { encoded[encoded.count == 1 ? 0 : $0] }
        }
        return try network.heads.enumerated().map { index, head in
            let tower = try builder.mlp(representations[index], network.towers[index], name: "towers.\(index)")
            return (head, builder.flatten(tower, name: "\(head).logit"))
        }
    }

    private static func multiTaskLogits(_ network: MultiTaskNetwork, into builder: ONNXGraphBuilder) throws -> [(head: String, value: String)] {
        var parts: [String] = []
        if let embedding = network.embedding { parts.append(builder.fieldEmbedding(network.categorical, embedding, name: "embedding")) }
        if let projection = network.denseProjection {
            parts.append(builder.linear(ONNXExport.denseInput, projection, name: "denseProjection"))
        }
        let encoded = builder.concatenate(parts, name: "input")
        let representations: [String]
        if let mixture = network.mixture {
            representations = try builder.mixtureOfExperts(encoded, mixture, name: "mixture")
        } else if let extraction = network.extraction {
            representations = try builder.progressiveLayeredExtraction(encoded, extraction, name: "extraction")
        } else if let bottom = network.bottom {
            representations = Array(repeating: try builder.mlp(encoded, bottom, name: "bottom"), count: network.tasks.count)
        } else {
            throw ONNXExport.Error(description: "multi-task network without a backbone")
        }
        return try network.tasks.enumerated().map { index, task in
            let tower = try builder.mlp(representations[index], network.towers[index], name: "towers.\(index)")
            return (task.name, builder.flatten(tower, name: "\(task.name).logit"))
        }
    }
}
