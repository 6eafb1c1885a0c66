import FunnelTensor

/// Multi-token prediction over semantic-ID digits (RPG, Hou et al., KDD 2025, arXiv 2506.05781;
/// FAIR, sequential.md §4.2): M residual heads `head_k(h) = h + SiLU(W_k h + b_k)` with `W_k`
/// and `b_k` initialised to zero (every head starts as the identity), and digit k's logits the
/// cosines between `head_k(h)` and digit k's token embeddings over a temperature τ:
/// `z_k = cos(head_k(h), T_k) / τ`. The token embeddings are the input table's rows (tied), so
/// the logits are trained from the first step (§4.8).
///
/// Shapes: states `[S, D]` → per-digit logits `[S, K_k]` for each digit k; the M heads are one
/// `[S, D] · [D, M·D]` product.
public final class MultiTokenPredictionHeads: Module {
    /// `[M·D, D]` (PyTorch layout): head k's weight is rows `k·D ..< (k+1)·D`.
    public let projection: Linear
    public let digits: Int
    public let temperature: Float

    public init(dimensions: Int, digits: Int, temperature: Float, generator: inout RandomGenerator) {
        precondition(digits > 0 && temperature > 0, "Funnel: \(digits) prediction heads at temperature \(temperature)")
        projection = Linear(dimensions, digits * dimensions, initializer: .constant(0), generator: &generator)
        projection.bias?.withUnsafeMutableBufferPointer { values in
            for index in values.indices { values[index] = 0 }
        }
        self.digits = digits
        self.temperature = temperature
        super.init()
    }

    /// Every head's output, `[S, M, D]`.
    public func heads(_ states: Tensor) -> Tensor {
        let (rows, width) = (states.shape[0], states.shape[1])
        let projected = projection(states)
        let activated = projected * projected.sigmoid()
        return activated.reshaped([rows, digits, width]) + states.reshaped([rows, 1, width])
    }

    /// Digit k's logits `[S, K_k]` for every k.
    /// - Parameters:
    ///   - states: `[S, D]` prediction states.
    ///   - tokenTable: `[V, D]` the input token embeddings.
    ///   - ranges: digit k's rows of `tokenTable` (K_k rows each).
    public func logits(_ states: Tensor, tokenTable: Tensor, ranges: [Range<Int>]) -> [Tensor] {
        precondition(ranges.count == digits, "Funnel: \(ranges.count) digit ranges for \(digits) heads")
        let outputs = heads(states).l2Normalised(alongAxis: 2)
        let rows = states.shape[0]
        let width = states.shape[1]
        if let size = ranges.first?.count, ranges.allSatisfy({ $0.count == size }),
            zip(ranges.dropFirst(), ranges).allSatisfy({ $0.lowerBound == $1.upperBound })
        {
            // Equal, adjacent digits: one batched product `[M, S, D] · [M, D, K]`.
            let tokens = 
                tokenTable.sliced(alongAxis: 0, ranges[0].lowerBound..<ranges[digits - 1].upperBound)
                    .reshaped([digits, size, width]).l2Normalised(alongAxis: 2)
            let logits = Tensor.matmul(outputs.permuted([1, 0, 2]), tokens, transposeRight: true) * (1 / temperature)
            return (0..<digits).map { logits.sliced(alongAxis: 0, $0..<($0 + 1)).reshaped([rows, size]) }
        }
        return ranges.enumerated().map { digit, range in
            let tokens = tokenTable.sliced(alongAxis: 0, range).l2Normalised(alongAxis: 1)
            let output = outputs.sliced(alongAxis: 1, digit..<(digit + 1)).reshaped([rows, width])
            return Tensor.matmul(output, tokens, transposeRight: true) * (1 / temperature)
        }
    }
}
