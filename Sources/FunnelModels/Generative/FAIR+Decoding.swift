import FunnelData
import FunnelNN
import FunnelTensor

extension FAIR {
    /// The evaluation outputs of a history, one `[B, N + 1]` score matrix per decoder
    /// (sequential.md §4.5): the exhaustive scores `S(i)`, or, for beam search and graph
    /// decoding, the scores of the items they return and the lowest finite score elsewhere (a
    /// target they miss ranks behind every returned item).
    func decode(_ history: SemanticIDHistory) throws -> [String: Tensor] {
        let evaluation = configuration.evaluation
        if configuration.prediction == .autoregressive {
            let results = (0..<history.rows).map { autoregressiveSearch(history, row: $0, count: evaluation.beamWidth) }
            return [FAIRConfiguration.Decoder.beam.outputName: catalogue(results)]
        }
        let logProbabilities = digitLogProbabilities(history)
        var outputs: [String: Tensor] = [:]
        for decoder in configuration.decoders {
            switch decoder {
            case .exhaustive:
                outputs[decoder.outputName] = Tensor(
                    shape: [history.rows, itemCount + 1], scalars: decoding.scorer.scores(logProbabilities))
            case .beam:
                let search = TrieBeamSearch(trie: decoding.trie, options: .init(beamWidth: evaluation.beamWidth))
                outputs[decoder.outputName] = catalogue(search.search(logProbabilities, count: evaluation.beamWidth))
            case .graph:
                let graph = decoding.graphDecoder(
                    tokenTable: tokenTable.table,
                    options: .init(edges: evaluation.graphEdges, beams: evaluation.graphBeams, propagationSteps: evaluation.graphSteps))
                outputs[decoder.outputName] = catalogue(graph.decode(logProbabilities, count: evaluation.graphBeams, seed: 0))
            }
        }
        return outputs
    }

    /// `log p_k = log_softmax(z_k)` of each row's last history state, `[B, Σ_k K_k]`.
    func digitLogProbabilities(_ history: SemanticIDHistory) -> DigitLogProbabilities {
        guard let heads else { preconditionFailure("Funnel: FAIR's multi-token decoding without heads") }
        let states = encode(history)
        let rows = states.shape[0] * states.shape[1]
        let last = states.reshaped([rows, configuration.dimensions]).indexSelect(history.lastStateIndices(flat: flat))
        let logits = Tensor.concatenated(heads.logits(last, tokenTable: tokenTable.table, ranges: digitRanges), alongAxis: 1)
        return DigitLogProbabilities(logits: logits.scalars, digitSizes: codes.digitSizes, users: history.rows)
    }

    /// `[B, N + 1]` scores from each row's returned items: their own scores, the lowest finite
    /// score for every other item, −∞ for the padding id 0.
    func catalogue(_ results: [[ScoredItem]]) -> Tensor {
        let columns = itemCount + 1
        var scores = [Float](repeating: -.greatestFiniteMagnitude, count: results.count * columns)
        for (row, items) in results.enumerated() {
            scores[row * columns] = -.infinity
            for item in items { scores[row * columns + item.item] = Swift.max(item.score, -Float.greatestFiniteMagnitude / 2) }
        }
        return Tensor(shape: [results.count, columns], scalars: scores)
    }
}
