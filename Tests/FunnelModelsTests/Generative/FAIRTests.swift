import Foundation
import Testing

@testable import FunnelData
@testable import FunnelModels
import FunnelNN
import FunnelTensor

/// FAIR (sequential.md §4) as a model: causality over code tokens, the closed forms of its
/// auxiliary terms, decoding that agrees with itself, the KV cache against the full forward pass,
/// and every variant learning one batch.
@Suite struct FAIRTests {
    /// Item i's codes are the digits of i − 1 in mixed radix `sizes` (unique tuples).
    static func codes(itemCount: Int, sizes: [Int] = [4, 3, 2]) -> SemanticIDs {
        var codes = [Int32](repeating: 0, count: sizes.count)
        for item in 1...itemCount {
            var rest = item - 1
            for size in sizes {
                codes.append(Int32(rest % size))
                rest /= size
            }
        }
        return SemanticIDs(method: "test", digitSizes: sizes, ordered: true, trainedItems: itemCount, source: "test", codes: codes)
    }

    static func model(
        itemCount: Int = 20, length: Int = 4, seed: UInt64 = 7, _ adjust: (inout FAIRConfiguration) -> Void = { _ in }
    ) throws -> FAIR {
        var configuration = FAIRConfiguration()
        configuration.dimensions = 16
        configuration.heads = 4
        configuration.feedForwardDimensions = 32
        configuration.maximumLength = length
        configuration.embeddingDropout = 0
        configuration.attentionDropout = 0
        configuration.interacted = nil
        adjust(&configuration)
        return try FAIR(
            dataset: try LeaveOneOutSequences.catalogue(itemCount: itemCount), configuration: configuration,
            codes: codes(itemCount: itemCount), seed: seed)
    }

    static func batch(_ histories: [[Int32]], targets: [Int32], length: Int = 4) -> Batch {
        SASRecTests.batch(histories, targets: targets, length: length, paddingID: 21)
    }

    @Test(arguments: FAIRConfiguration.Input.allCases)
    func laterItemsNeverChangeEarlierStates(input: FAIRConfiguration.Input) throws {
        let model = try Self.model { $0.input = input }
        model.train(false)
        let first = try model.history(Self.batch([[3, 4, 5, 6]], targets: [8]))
        let changed = try model.history(Self.batch([[3, 4, 15, 16]], targets: [8]))
        let (left, right) = (model.encode(first).scalars, model.encode(changed).scalars)
        let unchanged = input == .flattenCodes ? 0..<(2 * 3 * 16) : 0..<(2 * 16)
        #expect(Array(left[unchanged]) == Array(right[unchanged]))
        #expect(left != right)
    }

    @Test func noiseTermVanishesWithoutReplacementsAndMutualInformationHasItsClosedForm() throws {
        let model = try Self.model { $0.noiseProbability = 0 }
        let batch = Self.batch([[3, 4, 5], [6, 7], [1, 2, 9, 10]], targets: [8, 11, 12])
        let objective = try model.objective(try model(batch), batch: batch)
        let values = objective.loggedValues
        #expect(values["noiseRobustness_loss"] == 0)
        // InfoNCE from the states and the targets' mean code embeddings, by hand.
        let history = try model.history(batch)
        let states = model.encode(history)
        let last = states.reshaped([-1, 16]).indexSelect(history.lastStateIndices(flat: true)).scalars
        let table = model.tokenTable.table.scalars
        func normalised(_ vector: [Float]) -> [Float] {
            let norm = vector.map { $0 * $0 }.reduce(0, +).squareRoot()
            return vector.map { $0 / norm }
        }
        let targets = [8, 11, 12].map { item -> [Float] in
            let tokens = (0..<3).map { Int(model.codes.token(item: item, digit: $0)) }
            return normalised((0..<16).map { column in tokens.map { table[$0 * 16 + column] }.reduce(0, +) / 3 })
        }
        var expected = 0.0
        for row in 0..<3 {
            let h = normalised(Array(last[(row * 16)..<((row + 1) * 16)]))
            let logits = targets.map { Double(zip(h, $0).map { $0 * $1 }.reduce(0, +)) / 0.07 }
            let largest = logits.max()!
            expected += -(logits[row] - largest - Foundation.log(logits.map { Foundation.exp($0 - largest) }.reduce(0, +)))
        }
        #expect(Swift.abs(values["mutualInformation_loss"]! - expected / 3) < 1e-3)
        #expect(values["multiToken_loss"]! > 0)
        // With replacements the term is positive.
        let noisy = try Self.model { $0.noiseProbability = 0.5 }
        #expect(try noisy.objective(try noisy(batch), batch: batch).loggedValues["noiseRobustness_loss"]! > 0)
    }

    @Test(arguments: FAIRConfiguration.Input.allCases)
    func attentionMapTermVanishesWithoutReplacements(input: FAIRConfiguration.Input) throws {
        let batch = Self.batch([[3, 4, 5], [6, 7], [1, 2, 9, 10]], targets: [8, 11, 12])
        let still = try Self.model {
            ($0.noiseTarget, $0.noiseProbability, $0.input) = (.attentionMaps, 0, input)
        }
        #expect(try still.objective(try still(batch), batch: batch).loggedValues["noiseRobustness_loss"] == 0)
        let noisy = try Self.model { ($0.noiseTarget, $0.noiseProbability, $0.input) = (.attentionMaps, 0.5, input) }
        #expect(try noisy.objective(try noisy(batch), batch: batch).loggedValues["noiseRobustness_loss"]! > 0)
        // Only unchanged real items count as keys.
        let history = try noisy.history(batch)
        let replaced = SemanticIDHistory(
            items: SequenceInput(
                rows: 3, length: 4, ids: history.items.ids.map { $0 == 4 ? 13 : $0 }, mask: history.items.mask,
                counts: history.items.counts, padsLeft: true, paddingID: 21),
            itemTokens: noisy.itemTokens, digits: 3, itemCount: 20)
        #expect(history.unchangedPositions(in: replaced, flat: false) == [0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1])
    }

    @Test func wideBeamRanksAsTheExhaustiveScores() throws {
        let model = try Self.model {
            $0.evaluation.decoders = [.exhaustive, .beam, .graph]
            $0.evaluation.beamWidth = 30
            $0.evaluation.graphBeams = 20
        }
        model.train(false)
        let outputs = try withoutGradients { try model(Self.batch([[3, 4, 5], [6, 7]], targets: [8, 11])) }
        let full = try #require(outputs["catalogue"]).scalars
        let beam = try #require(outputs["beamCatalogue"]).scalars
        let graph = try #require(outputs["graphCatalogue"]).scalars
        for row in 0..<2 {
            let columns = (row * 21 + 1)..<((row + 1) * 21)
            #expect(Array(full[columns]) == Array(beam[columns]))
            // Graph decoding over 20 items with 20 beams reaches every item: the same scores.
            #expect(Array(full[columns]) == Array(graph[columns]))
        }
    }

    @Test func cachedDecodingMatchesTheFullForwardPass() throws {
        let model = try Self.model { ($0.prediction, $0.noiseWeight, $0.mutualInformationWeight) = (.autoregressive, 0, 0) }
        model.train(false)
        let history = try model.history(Self.batch([[3, 4, 5]], targets: [8]))
        let input = model.nextTokenInput(history, targets: [8])
        let full = withoutGradients { model.encode(tokens: input.tokens, rows: 1) }.reshaped([-1, 16])
        // Position n·M − 1 predicts the target's digit 0, n·M its digit 1.
        let span = 4 * 3
        var caches = [KeyValueCache](repeating: KeyValueCache(), count: model.blocks.count)
        let real = Array(history.tokens[3...])
        let first = withoutGradients { model.advance(tokens: real, rows: 1, start: 3, caches: &caches) }
        let fullFirst = full.indexSelect([Int32(span - 1)])
        for (a, b) in zip(first.scalars, fullFirst.scalars) { #expect(Swift.abs(a - b) < 1e-4) }
        let second = withoutGradients { model.advance(tokens: [input.tokens[span]], rows: 1, start: span, caches: &caches) }
        for (a, b) in zip(second.scalars, full.indexSelect([Int32(span)]).scalars) { #expect(Swift.abs(a - b) < 1e-4) }
        let logProbabilities = model.nextDigitLogProbabilities(first, digit: 0)[0]
        #expect(Swift.abs(logProbabilities.map { Foundation.exp(Double($0)) }.reduce(0, +) - 1) < 1e-4)
        let results = try withoutGradients { try model(Self.batch([[3, 4, 5]], targets: [8])) }
        #expect(results["beamCatalogue"]?.shape == [1, 21])
    }

    @Test func nextTokenInputsShiftTheFlattenedItems() throws {
        let model = try Self.model(length: 2) { ($0.prediction, $0.noiseWeight, $0.mutualInformationWeight) = (.autoregressive, 0, 0) }
        let history = try model.history(Self.batch([[3]], targets: [8], length: 2))
        let input = model.nextTokenInput(history, targets: [8])
        let tokens = { (item: Int) in (0..<3).map { model.codes.token(item: item, digit: $0) } }
        #expect(input.tokens == [0, 0, 0] + tokens(3) + tokens(8).prefix(2))
        #expect(input.next == [0, 0, 0] + tokens(3).dropFirst() + tokens(8))
        #expect(input.digit.suffix(5) == [1, 2, 0, 1, 2])
    }

    @Test(arguments: [
        "focused", "standard", "pooled", "autoregressive", "noAuxiliary", "attentionMaps",
    ])
    func everyVariantLearnsOneBatch(variant: String) throws {
        let model = try Self.model(seed: 3) {
            switch variant {
            case "standard": $0.focused = false
            case "pooled": $0.input = .pooledItems
            case "autoregressive": ($0.prediction, $0.noiseWeight, $0.mutualInformationWeight) = (.autoregressive, 0, 0)
            case "noAuxiliary": ($0.noiseWeight, $0.mutualInformationWeight) = (0, 0)
            case "attentionMaps": $0.noiseTarget = .attentionMaps
            default: break
            }
        }
        let batch = Self.batch([[3, 4, 5, 6], [6, 7], [1, 2, 9, 10], [12, 13, 14]], targets: [8, 11, 12, 15])
        let optimizer = OptimizerGroups(Adam(namedParameters: model.namedParameters(), learningRate: 0.01))
        var losses: [Float] = []
        for _ in 0..<40 {
            let objective = try StandardTrainingStep().train(model, on: batch, optimizer: optimizer, clipNorm: nil)
            losses.append(objective.total.scalar)
        }
        #expect(losses.last! < losses.first! * 0.5, "\(variant): \(losses.first!) → \(losses.last!)")
    }

    @Test func aDatasetWithoutCodesOrWithOtherItemsIsRefusedByName() throws {
        let dataset = try LeaveOneOutSequences.catalogue(itemCount: 5)
        #expect { try FAIR(dataset: dataset, configuration: FAIRConfiguration(), seed: 1) } throws: { error in
            "\(error)".contains("semantic-ids.json") && "\(error)".contains("funnel data semantic-ids")
        }
        #expect {
            try FAIR(dataset: dataset, configuration: FAIRConfiguration(), codes: Self.codes(itemCount: 6), seed: 1)
        } throws: { error in
            "\(error)".contains("codes for 6, the vocabulary holds 5")
        }
    }

    @Test func autoregressivePredictionIsScoredByBeamSearch() throws {
        let model = try Self.model { ($0.prediction, $0.noiseWeight, $0.mutualInformationWeight) = (.autoregressive, 0, 0) }
        #expect(model.evaluationTasks.map(\.name) == ["beam"])
        #expect(model.evaluationTasks.first?.outputs == ["beamCatalogue"])
        var configuration = FAIRConfiguration()
        (configuration.prediction, configuration.noiseWeight, configuration.mutualInformationWeight) = (.autoregressive, 0, 0)
        try configuration.validate()
        configuration.evaluation.decoders = [.exhaustive]
        #expect(throws: (any Error).self) { try configuration.validate() }
        configuration.evaluation.decoders = nil
        configuration.noiseWeight = 0.1
        #expect(throws: (any Error).self) { try configuration.validate() }
        #expect(try Self.model().evaluationTasks.map(\.name) == ["full"])
    }
}
