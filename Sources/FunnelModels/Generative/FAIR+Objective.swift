import FunnelData
import FunnelNN
import FunnelTensor

extension FAIR {
    /// `L = L_MTP + α L_NR + β L_MI` (sequential.md §4.4), each term named in the objective:
    /// - `multiToken`: `(1/M) Σ_k CE(z_k, c_k(target))` over every position with a next item;
    /// - `noiseRobustness`: `‖n(h(x)) − n(h(x̃))‖²` averaged over those positions (n: L2
    ///   normalisation), or with `noiseTarget = attentionMaps` the mean squared difference of
    ///   every block's focused-attention map over the unperturbed key positions;
    /// - `mutualInformation`: InfoNCE between each row's last state and the mean code embedding
    ///   of its target, the batch's other targets as negatives.
    /// Autoregressive prediction has one term, `nextToken`: the cross-entropy of every code token
    /// of the history and target given the tokens before it (logits over the token's digit).
    public func objective(_ outputs: [String: Tensor], batch: Batch) throws -> Objective {
        guard let states = outputs["states"] else {
            throw DataError.missingRequirement(dataset: "model outputs", column: "states", reason: "FAIR's training states")
        }
        let history = try history(batch)
        let targets = try finalTargets(batch)
        let width = configuration.dimensions
        if configuration.prediction == .autoregressive {
            let input = nextTokenInput(history, targets: targets)
            return Objective(tasks: [Objective.Task(name: "nextToken", loss: nextTokenLoss(states, input))])
        }
        let steps = history.items.trainingSteps(finalTargets: targets)
        let rows = states.shape[0] * states.shape[1]
        let indices = history.stateIndices(itemPositions: steps.positions, flat: flat)
        let hidden = states.reshaped([rows, width]).indexSelect(indices)
        var tasks = [Objective.Task(name: "multiToken", loss: multiTokenLoss(hidden, targets: steps.targets))]
        if configuration.noiseWeight > 0, let loss = outputs["noiseMapLoss"] {
            tasks.append(Objective.Task(name: "noiseRobustness", loss: loss, weight: configuration.noiseWeight))
        } else if configuration.noiseWeight > 0, let perturbed = outputs["perturbedStates"] {
            let noisy = perturbed.reshaped([rows, width]).indexSelect(indices)
            let difference = hidden.l2Normalised(alongAxis: 1) - noisy.l2Normalised(alongAxis: 1)
            tasks.append(Objective.Task(
                name: "noiseRobustness", loss: (difference * difference).sum(alongAxes: [1]).mean(), weight: configuration.noiseWeight))
        }
        if configuration.mutualInformationWeight > 0 {
            let last = states.reshaped([rows, width]).indexSelect(history.lastStateIndices(flat: flat))
            tasks.append(Objective.Task(
                name: "mutualInformation", loss: mutualInformationLoss(last, targets: targets),
                weight: configuration.mutualInformationWeight))
        }
        return Objective(tasks: tasks)
    }

    /// `(1/M) Σ_k CE(z_k, c_k(target))` for states `[S, D]` and their next items `[S]`.
    func multiTokenLoss(_ hidden: Tensor, targets: [Int32]) -> Tensor {
        guard let heads else { preconditionFailure("Funnel: FAIR's multi-token loss without heads") }
        let logits = heads.logits(hidden, tokenTable: tokenTable.table, ranges: digitRanges)
        let losses = logits.enumerated().map { digit, logits in
            Losses.softmaxCrossEntropy(logits: logits, labels: targets.map { codes.code(item: Int($0), digit: digit) })
        }
        return losses.dropFirst().reduce(losses[0], +) * (1 / Float(losses.count))
    }

    /// InfoNCE of `[B, D]` states against the mean token embedding of their targets `[B]`:
    /// `−log softmax_b'(⟨n(h_b), n(e_b')⟩/τ)[b]`, averaged over the rows.
    func mutualInformationLoss(_ states: Tensor, targets: [Int32]) -> Tensor {
        let digits = codes.digits
        let tokens = targets.flatMap { itemTokens[(Int($0) * digits)..<((Int($0) + 1) * digits)] }
        let embedded = tokenTable(tokens, shape: [targets.count, digits]).mean(alongAxes: [1])
        let logits = Tensor.matmul(
            states.l2Normalised(alongAxis: 1), embedded.l2Normalised(alongAxis: 1),
            transposeRight: true) * (1 / configuration.mutualInformationTemperature)
        return Losses.softmaxCrossEntropy(logits: logits, labels: (0..<Int32(targets.count)).map { $0 })
    }

    /// The flattened tokens of each row's history followed by its target, without the last
    /// token: `[B · ((n + 1)·M − 1)]` inputs, and per position its next token (0: none) and
    /// that token's digit.
    func nextTokenInput(_ history: SemanticIDHistory, targets: [Int32]) -> (tokens: [Int32], next: [Int32], digit: [Int]) {
        let digits = history.digits
        let span = (history.length + 1) * digits
        let length = span - 1
        var tokens = [Int32](repeating: 0, count: history.rows * length)
        var next = [Int32](repeating: 0, count: history.rows * length)
        var digit = [Int](repeating: 0, count: history.rows * length)
        for row in 0..<history.rows {
            let past = history.tokens[(row * history.length * digits)..<((row + 1) * history.length * digits)]
            let full = Array(past) + itemTokens[(Int(targets[row]) * digits)..<((Int(targets[row]) + 1) * digits)]
            for position in 0..<length {
                tokens[row * length + position] = full[position]
                if full[position] != SemanticIDs.paddingToken {
                    next[row * length + position] = full[position + 1]
                    digit[row * length + position] = (position + 1) % digits
                }
            }
        }
        return (tokens, next, digit)
    }

    /// The mean cross-entropy of every next token, its logits the cosines against its digit's
    /// token embeddings over τ.
    func nextTokenLoss(_ states: Tensor, _ input: (tokens: [Int32], next: [Int32], digit: [Int])) -> Tensor {
        let width = configuration.dimensions
        let flatStates = states.reshaped([-1, width])
        var total: Tensor?
        var count = 0
        for (digit, range) in digitRanges.enumerated() {
            let positions = input.next.indices.filter { input.next[$0] != 0 && input.digit[$0] == digit }
            guard !positions.isEmpty else { continue }
            let hidden = flatStates.indexSelect(positions.map { Int32($0) }).l2Normalised(alongAxis: 1)
            let table = tokenTable.table.sliced(alongAxis: 0, range).l2Normalised(alongAxis: 1)
            let logits = Tensor.matmul(hidden, table, transposeRight: true) * (1 / configuration.temperature)
            let loss = Losses.softmaxCrossEntropy(
                logits: logits, labels: positions.map { input.next[$0] - Int32(range.lowerBound) }, reduction: .sum)
            total = total.map { $0 + loss } ?? loss
            count += positions.count
        }
        return (total ?? Tensor(0)) * (1 / Float(Swift.max(count, 1)))
    }
}
