import FunnelNN
import FunnelTensor

extension RecallAugmentation {
    /// A host's MLP tower, which RAR widens by `u_aug`'s `2d` input columns (appended last).
    ///
    /// The tower is first drawn from `generator` exactly as without RAR (so `rar == nil` is the
    /// host bit for bit); with RAR, a tower of the wider input is drawn from a generator of its
    /// own and takes every weight of the narrow one, so its only new weights are the columns
    /// reading `u_aug`: with `u_aug = 0` it computes what the host computes (§1.6).
    ///
    /// - Parameters:
    ///   - inputDimensions: the host's MLP input width.
    ///   - make: builds the host's MLP for an input width from a generator.
    public static func tower(
        inputDimensions: Int, rar: RARConfiguration?, seed: UInt64, generator: inout RandomGenerator,
        make: (Int, inout RandomGenerator) -> MLP
    ) -> MLP {
        let narrow = make(inputDimensions, &generator)
        guard let rar else { return narrow }
        var ownGenerator = RandomGenerator(seed: seed ^ UInt64(rar.seed) ^ 0x746f_7765_72)  // "tower"
        let wide = make(inputDimensions + rar.augmentationWidth, &ownGenerator)
        let narrowTensors = Dictionary(uniqueKeysWithValues: narrow.namedTensors().map { ($0.name, $0.tensor) })
        for (name, tensor) in wide.namedTensors() {
            guard let source = narrowTensors[name] else { continue }
            if source.shape == tensor.shape {
                tensor.withUnsafeMutableBufferPointer { target in
                    source.withUnsafeBufferPointer { values in _ = target.update(fromContentsOf: values) }
                }
                continue
            }
            // The first layer's weight, `[out, in]` into `[out, in + 2d]`: the leading columns.
            precondition(
                source.rank == 2 && tensor.rank == 2 && source.shape[0] == tensor.shape[0]
                    && source.shape[1] + rar.augmentationWidth == tensor.shape[1],
                "Funnel: RAR cannot widen \(name) of shape \(source.shape) into \(tensor.shape)")
            let (rows, narrowWidth, wideWidth) = (source.shape[0], source.shape[1], tensor.shape[1])
            tensor.withUnsafeMutableBufferPointer { target in
                source.withUnsafeBufferPointer { values in
                    for row in 0..<rows {
                        for column in 0..<narrowWidth { target[row * wideWidth + column] = values[row * narrowWidth + column] }
                    }
                }
            }
        }
        return wide
    }
}

extension RecallAugmentation {
    /// The output name of `L_rec` (training only).
    public static let recallLossOutput = "rar_recall_loss"

    /// A host's outputs: its logits under `label`, and `L_rec` while training.
    public static func outputs(label: String, logits: Tensor, _ output: Output) -> [String: Tensor] {
        var outputs = [label: logits]
        if let loss = output.recallLoss { outputs[recallLossOutput] = loss }
        return outputs
    }

    /// The joint objective `BCE(y, ŷ) + β·L_rec` (§1.3): one task `loss` without RAR (the
    /// host's), with RAR the tasks `ctr` and `recall` (weight β) when `L_rec` was computed.
    public static func objective(_ loss: Tensor, outputs: [String: Tensor], configuration: RARConfiguration?) -> Objective {
        guard let configuration, let recallLoss = outputs[recallLossOutput] else { return Objective(loss) }
        return Objective(tasks: [
            Objective.Task(name: "ctr", loss: loss),
            Objective.Task(name: "recall", loss: recallLoss, weight: configuration.recallLossWeight),
        ])
    }
}
