import FunnelData
import FunnelNN
import FunnelTensor

extension FAIR {
    /// TIGER-style decoding of one row (sequential.md §4.5, autoregressive beam search): the
    /// row's real history tokens pass the blocks once, filling a KV cache per block; then each
    /// digit's live prefixes (trie-valid only, ``TrieBeamSearch``) feed just their newest token,
    /// the caches' rows following the beams' parents, so no prefix is recomputed.
    ///
    /// Positions match training's layout: the history's c items end at token n·M, the target's
    /// digit k sits at n·M + k.
    /// - Returns: the best `count` items, best first (empty for a row without history).
    func autoregressiveSearch(_ history: SemanticIDHistory, row: Int, count: Int) -> [ScoredItem] {
        let digits = history.digits
        let real = history.items.counts[row] * digits
        guard real > 0 else { return [] }
        let span = history.length * digits
        let rowTokens = Array(history.tokens[(row * span + span - real)..<((row + 1) * span)])
        var caches = [KeyValueCache](repeating: KeyValueCache(), count: blocks.count)
        let search = TrieBeamSearch(trie: decoding.trie, options: .init(beamWidth: configuration.evaluation.beamWidth))
        return withoutGradients {
            search.search(count: count) { step in
                let states: Tensor
                if step.digit == 0 {
                    states = advance(tokens: rowTokens, rows: 1, start: span - real, caches: &caches)
                } else {
                    for index in caches.indices { caches[index].selectRows(step.parents.map { Int32($0) }) }
                    let offset = codes.tokenOffset(digit: step.digit - 1) + 1
                    let tokens = step.prefixes.map { Int32(offset) + $0[step.digit - 1] }
                    states = advance(tokens: tokens, rows: tokens.count, start: span + step.digit - 1, caches: &caches)
                }
                return nextDigitLogProbabilities(states, digit: step.digit)
            }
        }
    }

    /// Runs `tokens` (`[rows, L]`, at positions `start ..< start + L`) through the blocks with
    /// their caches; the final norm's output at each row's last position, `[rows, D]`.
    func advance(tokens: [Int32], rows: Int, start: Int, caches: inout [KeyValueCache]) -> Tensor {
        let length = tokens.count / rows
        let width = configuration.dimensions
        var x = tokenTable(tokens, shape: [rows, length]) + positions.table.sliced(alongAxis: 0, start..<(start + length))
        x = embeddingDropout(x)
        for (index, block) in blocks.enumerated() { x = block(x, cache: &caches[index]) }
        let last = x.sliced(alongAxis: 1, (length - 1)..<length).reshaped([rows, width])
        return finalNorm(last)
    }

    /// `log_softmax(cos(h, T_digit) / τ)` per row of `[rows, D]` states, `[rows][K_digit]`.
    func nextDigitLogProbabilities(_ states: Tensor, digit: Int) -> [[Float]] {
        let table = tokenTable.table.sliced(alongAxis: 0, digitRanges[digit]).l2Normalised(alongAxis: 1)
        let logits = Tensor.matmul(states.l2Normalised(alongAxis: 1), table, transposeRight: true)
            * (1 / configuration.temperature)
        let values = logits.logSoftmax(alongAxis: 1).scalars
        let size = codes.digitSizes[digit]
        return (0..<states.shape[0]).map { Array(values[($0 * size)..<(($0 + 1) * size)]) }
    }
}
