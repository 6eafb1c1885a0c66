import FunnelTensor

/// How per-sample losses are combined.
public enum LossReduction: String, Sendable, Codable, CaseIterable, StrictEnum {
    /// The sum divided by the number of rows — even where weights or masks zero most of them
    /// (the 1/|D| of the papers; entire-space.md §0, convention 3).
    case mean
    case sum
    /// The per-sample losses, unreduced.
    case none

    func apply(_ losses: Tensor) -> Tensor {
        switch self {
        case .mean: return losses.mean()
        case .sum: return losses.sum()
        case .none: return losses
        }
    }
}

/// Losses computed from logits, stable for any logit (entire-space.md §0, conventions 1–2).
public enum Losses {
    /// Binary cross-entropy of σ(logits) against labels in [0, 1] (soft labels allowed):
    /// `max(z, 0) − z·y + log1p(e^−|z|)`, i.e. softplus(z) − z·y. Gradient σ(z) − y.
    /// - Parameters:
    ///   - logits: `[n]` (any shape).
    ///   - labels: the same shape.
    ///   - weights: per-sample weights of the same shape (IPS weights: pass them detached).
    public static func binaryCrossEntropy(
        logits: Tensor, labels: Tensor, weights: Tensor? = nil, reduction: LossReduction = .mean
    ) -> Tensor {
        precondition(logits.shape == labels.shape, "Funnel: logits \(logits.shape) and labels \(labels.shape) differ")
        var losses = logits.softplus() - logits * labels
        if let weights { losses = losses * weights }
        return reduction.apply(losses)
    }

    /// ESMM's loss BCE(σ(a)·σ(b), y) computed in log space, never forming the product
    /// (entire-space.md §0, §4): log p = logσ(a) + logσ(b), and log(1 − p) from
    /// 1 − σ(a)σ(b) = σ(−a) + σ(a)σ(−b) as logΣexp(logσ(−a), logσ(a) + logσ(−b)). That equals
    /// log1mexp(log p) wherever the latter is representable and stays finite where p rounds to 1
    /// (a = b = 100 gives −99.31, not −inf).
    /// - Parameters:
    ///   - firstLogits: `[n]`, e.g. the CTR logits.
    ///   - secondLogits: `[n]`, e.g. the CVR logits.
    ///   - labels: `[n]` in [0, 1], e.g. click ∧ conversion.
    public static func productBinaryCrossEntropy(
        firstLogits: Tensor, secondLogits: Tensor, labels: Tensor, weights: Tensor? = nil,
        reduction: LossReduction = .mean
    ) -> Tensor {
        let firstLog = firstLogits.logSigmoid()
        let logProbability = firstLog + secondLogits.logSigmoid()
        let firstMissed = (-firstLogits).logSigmoid()
        let secondMissed = firstLog + (-secondLogits).logSigmoid()
        let largest = Tensor.maximum(firstMissed, secondMissed)
        let logComplement = largest + ((firstMissed - largest).exp() + (secondMissed - largest).exp()).log()
        var losses = -(labels * logProbability) - (1 - labels) * logComplement
        if let weights { losses = losses * weights }
        return reduction.apply(losses)
    }

    /// Softmax cross-entropy of `[n, classes]` logits against class ids `[n]`.
    public static func softmaxCrossEntropy(
        logits: Tensor, labels: [Int32], weights: Tensor? = nil, reduction: LossReduction = .mean
    ) -> Tensor {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count, "Funnel: logits \(logits.shape) for \(labels.count) labels")
        var losses = -logits.logSoftmax().gathered(alongAxis: 1, indices: labels, indexShape: [labels.count, 1])
            .reshaped([labels.count])
        if let weights { losses = losses * weights }
        return reduction.apply(losses)
    }

    /// Sampled softmax: cross-entropy of the positive against the given negatives (the positive
    /// is class 0 of `[positive, negatives…]`).
    /// - Parameters:
    ///   - positiveLogits: `[n]`.
    ///   - negativeLogits: `[n, negatives]`.
    ///   - negativeLogCorrection: optional `[n, negatives]` log-probabilities of sampling each
    ///     negative, subtracted from its logit (logQ correction; Bengio & Senécal 2008).
    public static func sampledSoftmaxCrossEntropy(
        positiveLogits: Tensor, negativeLogits: Tensor, negativeLogCorrection: Tensor? = nil,
        reduction: LossReduction = .mean
    ) -> Tensor {
        let rows = positiveLogits.shape[0]
        var negatives = negativeLogits
        if let negativeLogCorrection { negatives = negatives - negativeLogCorrection }
        let logits = Tensor.concatenated([positiveLogits.reshaped([rows, 1]), negatives], alongAxis: 1)
        return softmaxCrossEntropy(logits: logits, labels: Array(repeating: 0, count: rows), reduction: reduction)
    }

    /// Mean squared error `(prediction − target)²`.
    public static func meanSquaredError(
        predictions: Tensor, targets: Tensor, weights: Tensor? = nil, reduction: LossReduction = .mean
    ) -> Tensor {
        let difference = predictions - targets
        var losses = difference * difference
        if let weights { losses = losses * weights }
        return reduction.apply(losses)
    }
}
