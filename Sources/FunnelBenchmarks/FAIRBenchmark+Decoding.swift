import Foundation
import FunnelData
import FunnelModels
import FunnelNN
import FunnelTensor

extension FAIRBenchmark {
    /// One decoder's cost per user: the model's evaluation forward (history encoding and
    /// decoding) of a batch of users, or the decoder alone on given digit log-probabilities.
    public struct DecodingResult: Codable, Sendable {
        public var size: String
        public var digits: Int
        /// `forward` (the model's evaluation call) or `decoder` (the decoder alone).
        public var part: String
        /// `multiToken` or `autoregressive`.
        public var prediction: String
        public var decoder: String
        /// The beam width (beam search), the beams (graph decoding), nil for exhaustive scoring.
        public var width: Int?
        public var users: Int
        public var millisecondsPerUser: Double
    }

    /// The one-off build of RPG's item graph over the trained token embeddings.
    public struct GraphBuild: Codable, Sendable {
        public var size: String
        public var digits: Int
        public var items: Int
        public var edges: Int
        public var seconds: Double
    }

    /// Times `trained`'s evaluation forward on `users` once per decoder: exhaustive scoring,
    /// trie beam search at each of `beamWidths`, graph decoding (multi-token models), or the
    /// KV-cache beam search at each width (an autoregressive model). Each decoder runs on a copy
    /// of the trained weights whose configuration names only it; one untimed call on `warmUsers`
    /// (one) first builds what the decoder caches (the graph), so the time is the per-batch cost.
    static func measureDecoding(
        _ trained: FAIR, setting: Size, codes: SemanticIDs, dataset: Dataset, users: Batch, warmUsers: Batch, beamWidths: [Int], options: Options
    ) throws -> [DecodingResult] {
        let autoregressive = trained.configuration.prediction == .autoregressive
        var runs: [(decoder: FAIRConfiguration.Decoder, width: Int?)] = beamWidths.map { (.beam, $0) }
        if !autoregressive { runs = [(.exhaustive, nil)] + runs + [(.graph, trained.configuration.evaluation.graphBeams)] }
        var results: [DecodingResult] = []
        for run in runs {
            var configuration = trained.configuration
            configuration.evaluation.decoders = [run.decoder]
            if run.decoder == .beam, let width = run.width { configuration.evaluation.beamWidth = width }
            let model = try FAIR(dataset: dataset, configuration: configuration, codes: codes, seed: options.seed)
            copyState(from: trained, to: model)
            model.train(false)
            _ = try withoutGradients { try model(warmUsers) }
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try withoutGradients { try model(users) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let result = DecodingResult(
                size: setting.name, digits: setting.digits, part: "forward", prediction: configuration.prediction.rawValue,
                decoder: run.decoder.rawValue, width: run.width, users: users.size, millisecondsPerUser: 1000 * seconds / Double(users.size))
            options.log(String(
                format: "%@ M=%d %@ %@%@: %.2f ms/user", setting.name, setting.digits, result.prediction, result.decoder,
                run.width.map { " W=\($0)" } ?? "", result.millisecondsPerUser))
            results.append(result)
        }
        return results
    }

    /// Times building RPG's graph decoder from `model`'s token embeddings (the digits' rows of
    /// the token table), as the model does once per set of weights; the build and the decoder.
    static func graphBuild(_ model: FAIR, setting: Size, codes: SemanticIDs) -> (GraphBuild, GraphConstrainedDecoder) {
        let evaluation = model.configuration.evaluation
        let width = model.configuration.dimensions
        let rows = codes.digitSizes.reduce(0, +)
        let embeddings = Array(model.tokenTable.table.scalars[width..<((1 + rows) * width)])
        let start = DispatchTime.now().uptimeNanoseconds
        let decoder = GraphConstrainedDecoder(
            semanticIDs: codes, tokenEmbeddings: embeddings, dimensions: width,
            options: .init(edges: evaluation.graphEdges, beams: evaluation.graphBeams, propagationSteps: evaluation.graphSteps))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let build = GraphBuild(size: setting.name, digits: setting.digits, items: codes.itemCount, edges: evaluation.graphEdges, seconds: seconds)
        return (build, decoder)
    }

    /// Times each decoder alone on `users` rows of random digit logits (uniform in ±1/τ, as
    /// cosine logits at τ = 0.07), so that its cost shows apart from the history's encoding:
    /// exhaustive scoring of every item, trie beam search at each width, graph decoding.
    static func measureDecodersAlone(
        codes: SemanticIDs, graph: GraphConstrainedDecoder, setting: Size, users: Int, beamWidths: [Int], options: Options
    ) -> [DecodingResult] {
        var generator = RandomGenerator(seed: options.seed &+ 11)
        let columns = codes.digitSizes.reduce(0, +)
        let logits = (0..<(users * columns)).map { _ in Float(Double(generator.next() >> 11) * 0x1p-53 * 2 - 1) / 0.07 }
        let logProbabilities = DigitLogProbabilities(logits: logits, digitSizes: codes.digitSizes, users: users)
        let scorer = ExhaustiveItemScorer(codes)
        let trie = SemanticIDTrie(codes)
        var runs: [(String, Int?, () -> Int)] = [("exhaustive", nil, { scorer.scores(logProbabilities).count })]
        for width in beamWidths {
            let search = TrieBeamSearch(trie: trie, options: .init(beamWidth: width))
            runs.append(("beam", width, { search.search(logProbabilities, count: width).count }))
        }
        let beams = graph.options.beams
        runs.append(("graph", beams, { graph.decode(logProbabilities, count: beams, seed: 0).count }))
        return runs.map { name, width, body in
            let start = DispatchTime.now().uptimeNanoseconds
            precondition(body() > 0)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let result = DecodingResult(
                size: setting.name, digits: setting.digits, part: "decoder", prediction: "multiToken", decoder: name, width: width,
                users: users, millisecondsPerUser: 1000 * seconds / Double(users))
            options.log(String(format: "%@ M=%d %@ alone: %.3f ms/user", setting.name, setting.digits, name, result.millisecondsPerUser))
            return result
        }
    }

    /// Copies every parameter and buffer of `source` into `target` (the same architecture).
    static func copyState(from source: Module, to target: Module) {
        let (from, to) = (source.namedState(), target.namedState())
        precondition(from.map(\.name) == to.map(\.name), "Funnel: copying state between different models")
        for (value, destination) in zip(from, to) {
            let scalars = value.tensor.scalars
            destination.tensor.withUnsafeMutableBufferPointer { buffer in
                for index in buffer.indices { buffer[index] = scalars[index] }
            }
        }
    }
}
