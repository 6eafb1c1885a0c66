import Foundation
import Testing

@testable import FunnelData
@testable import FunnelModels
import FunnelNN
import FunnelTensor

/// SASRec against sequential.md §1.5's oracles (causality, padding invariance, the 2 ln 2 BCE)
/// and the losses' closed forms at zero scores, for every variant.
@Suite struct SASRecTests {
    static func model(_ variant: SASRecConfiguration.Variant, itemCount: Int = 20, length: Int = 6, _ adjust: (inout SASRecConfiguration) -> Void = { _ in }) throws -> SASRec {
        var configuration = SASRecConfiguration()
        configuration.variant = variant
        configuration.dimensions = 8
        configuration.heads = 2
        configuration.maximumLength = length
        configuration.interacted = nil
        adjust(&configuration)
        return try SASRec(dataset: try LeaveOneOutSequences.catalogue(itemCount: itemCount), configuration: configuration, seed: 7)
    }

    /// A batch whose rows hold the given histories (oldest first) and next items, padded before
    /// the items (`padsLeft`, as the batcher pads for every variant but RecBole) or after them.
    static func batch(
        _ histories: [[Int32]], targets: [Int32], length: Int, paddingID: Int32, times: [[Int64]]? = nil, padsLeft: Bool = true
    ) -> Batch {
        var batch = Batch(rows: histories.indices.map(Int32.init))
        var ids = [Int32](repeating: paddingID, count: histories.count * length)
        var mask = [Float](repeating: 0, count: histories.count * length)
        func start(_ count: Int) -> Int { padsLeft ? length - Swift.min(count, length) : 0 }
        for (row, history) in histories.enumerated() {
            for (position, item) in history.suffix(length).enumerated() {
                ids[row * length + start(history.count) + position] = item
                mask[row * length + start(history.count) + position] = 1
            }
        }
        batch.sequences["items"] = PaddedSequence(length: length, ids: ids, mask: mask, paddingID: paddingID)
        if let times {
            var values = [Int64](repeating: 0, count: histories.count * length)
            for (row, stamps) in times.enumerated() {
                for (position, time) in stamps.suffix(length).enumerated() { values[row * length + start(stamps.count) + position] = time }
            }
            batch.timestampSequences["times"] = PaddedTimestamps(length: length, values: values, mask: mask)
        }
        batch.ids["target"] = targets
        return batch
    }

    @Test(arguments: SASRecConfiguration.Variant.allCases)
    func laterItemsNeverChangeEarlierStates(variant: SASRecConfiguration.Variant) throws {
        let model = try Self.model(variant)
        model.train(false)
        let padding = Int32(21)
        let first = try SequenceInput(batch: Self.batch([[3, 4, 5, 6, 7]], targets: [8], length: 6, paddingID: padding, padsLeft: model.configuration.padsLeft), column: "items", padsLeft: model.configuration.padsLeft)
        let changed = try SequenceInput(batch: Self.batch([[3, 4, 5, 16, 17]], targets: [8], length: 6, paddingID: padding, padsLeft: model.configuration.padsLeft), column: "items", padsLeft: model.configuration.padsLeft)
        let (left, right) = (model.encode(first).scalars, model.encode(changed).scalars)
        // Items 3, 4, 5 sit at positions 1–3 (left padding) or 0–2 (right padding).
        let unchanged = model.configuration.padsLeft ? 0..<(4 * 8) : 0..<(3 * 8)
        #expect(Array(left[unchanged]) == Array(right[unchanged]))
        #expect(left != right)
    }

    @Test(arguments: SASRecConfiguration.Variant.allCases)
    func paddedPositionsNeverReachRealOnes(variant: SASRecConfiguration.Variant) throws {
        let model = try Self.model(variant)
        model.train(false)
        let batch = Self.batch(
            [[3, 4, 5], [9, 10, 11, 12, 13, 14]], targets: [6, 15], length: 6, paddingID: 21, padsLeft: model.configuration.padsLeft)
        let input = try SequenceInput(batch: batch, column: "items", padsLeft: model.configuration.padsLeft)
        // The same rows with real items written under the padding mask.
        let garbage = SequenceInput(
            rows: input.rows, length: input.length, ids: zip(input.ids, input.mask).map { $1 > 0 ? $0 : 19 }, mask: input.mask,
            counts: input.counts, padsLeft: input.padsLeft, paddingID: input.paddingID)
        let alone = try SequenceInput(batch: Self.batch([[3, 4, 5]], targets: [6], length: 6, paddingID: 21, padsLeft: model.configuration.padsLeft), column: "items", padsLeft: model.configuration.padsLeft)
        let (states, garbageStates) = (model.encode(input).scalars, model.encode(garbage).scalars)
        let aloneStates = model.encode(alone).scalars
        for position in 0..<12 where input.mask[position] > 0 {
            #expect(Array(states[(position * 8)..<(position * 8 + 8)]) == Array(garbageStates[(position * 8)..<(position * 8 + 8)]))
        }
        for position in 0..<6 where input.mask[position] > 0 {
            #expect(Array(states[(position * 8)..<(position * 8 + 8)]) == Array(aloneStates[(position * 8)..<(position * 8 + 8)]))
        }
    }

    @Test func zeroScoresGiveTwoLogTwoForBinaryCrossEntropy() throws {
        let model = try Self.model(.original) { $0.dimensions = 2; $0.heads = 1; $0.blocks = 1 }
        model.itemTable.table.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        model.train(true)
        let batch = Self.batch([[3, 4, 5], [9]], targets: [6, 10], length: 6, paddingID: 21)
        let objective = try model.objective(try model(batch), batch: batch)
        #expect(abs(objective.total.scalar - 2 * Float(log(2.0))) <= 1e-6)
    }

    @Test func zeroScoresGiveTheLogOfTheCatalogueForSoftmaxLosses() throws {
        for loss in [SASRecConfiguration.Loss.fullSoftmax, .sampledSoftmax] {
            let model = try Self.model(.recbole, itemCount: 5_000) { $0.loss = loss; $0.negatives = 10 }
            model.itemTable.table.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            model.train(true)
            let batch = Self.batch([[3, 4, 5]], targets: [6], length: 6, paddingID: 5_001, padsLeft: false)
            let value = try model.objective(try model(batch), batch: batch).total.scalar
            // Full: log N. Sampled with logQ: log(1 + k · N/k) (no accidental hit among 10 of 5,000
            // with this seed).
            let expected = loss == .fullSoftmax ? log(5_000.0) : log(5_001.0)
            #expect(abs(Double(value) - expected) <= 1e-4, "\(loss): \(value) vs \(expected)")
        }
    }

    @Test(arguments: SASRecConfiguration.Loss.allCases)
    func learnsAPlantedSuccession(loss: SASRecConfiguration.Loss) throws {
        // Item i is always followed by item i + 1 (mod 30): after training, the state after
        // 10, 11, 12 ranks 13 first.
        let model = try Self.model(.original, itemCount: 30, length: 5) {
            $0.loss = loss; $0.dropout = 0; $0.dimensions = 16; $0.negatives = 8
        }
        let optimizer = Adam(namedParameters: model.namedParameters(), learningRate: 0.01, beta2: 0.98)
        var generator = RandomGenerator(seed: 3)
        model.train(true)
        for step in 0..<150 {
            model.randomLayers().forEach { $0.reseed(UInt64(step)) }
            let starts = (0..<16).map { _ in Int32(generator.next() % 30) }
            let histories = starts.map { start in (0..<4).map { Int32(1 + (Int($0) + Int(start)) % 30) } }
            let targets = starts.map { Int32(1 + (Int($0) + 4) % 30) }
            let batch = Self.batch(histories, targets: targets, length: 5, paddingID: 31)
            model.zeroGradients()
            try model.objective(try model(batch), batch: batch).total.backward()
            optimizer.step()
        }
        model.train(false)
        let scores = try #require(try model(Self.batch([[10, 11, 12]], targets: [13], length: 5, paddingID: 31))["catalogue"])
        #expect(scores.shape == [1, 31])
        let best = (1...30).max { scores.scalars[$0] < scores.scalars[$1] }
        #expect(best == 13)
    }

    /// CAPE's table starts at zero, so SASRec+CAPE computes what SASRec without learned positions
    /// computes (sequential.md §3.5), up to the order of float sums (CAPE's attention is not the
    /// fused kernel); once the table moves, it does not.
    @Test func capeStartsAsTheModelWithoutPositions() throws {
        let plain = try Self.model(.original) { $0.learnedPositions = false; $0.dropout = 0 }
        let cape = try Self.model(.original) { $0.cape = CAPEConfiguration(); $0.dropout = 0 }
        #expect(plain.positions == nil && cape.positions == nil && cape.contextualPositions.count == 2)
        let batch = Self.batch([[3, 4, 5], [9, 10, 11, 12, 13, 14]], targets: [6, 15], length: 6, paddingID: 21)
        plain.train(false)
        cape.train(false)
        let (base, contextual) = (try plain(batch)["catalogue"]!.scalars, try cape(batch)["catalogue"]!.scalars)
        #expect(zip(base, contextual).allSatisfy { abs($0 - $1) <= 1e-5 })
        // A table that varies along positions (a constant one shifts every key's logit alike).
        cape.contextualPositions[0].table.withUnsafeMutableBufferPointer { values in
            for index in values.indices { values[index] = Float(index % 6) * 0.7 }
        }
        let moved = try cape(batch)["catalogue"]!.scalars
        #expect(zip(base, moved).contains { abs($0 - $1) > 1e-3 })
    }

    /// RoTE reads the items' timestamps: in `unix` mode (times relative to the window's first
    /// position) shifting every timestamp leaves the states unchanged, while changing the gaps
    /// between the same items changes them (sequential.md §2.2, §2.7).
    @Test func roteSeesGapsNotTheClock() throws {
        let model = try Self.model(.postNorm) { $0.rote = RotaryTimeOptions(mode: .unix, maskPaddingKeys: true); $0.dropout = 0 }
        #expect(model.positions == nil && model.requirements.columns.contains("times"))
        model.train(false)
        let items: [[Int32]] = [[3, 4, 5, 6]]
        func scores(_ times: [Int64]) throws -> [Float] {
            try model(Self.batch(items, targets: [7], length: 6, paddingID: 21, times: [times]))["catalogue"]!.scalars
        }
        let base = try scores([1_000_000, 1_000_600, 1_090_000, 1_090_060])
        let shifted = try scores([9_000_000, 9_000_600, 9_090_000, 9_090_060])
        let regapped = try scores([1_000_000, 1_500_000, 1_500_060, 1_900_000])
        #expect(zip(base, shifted).allSatisfy { abs($0 - $1) <= 1e-4 })
        #expect(zip(base, regapped).contains { abs($0 - $1) > 1e-3 })
        #expect(throws: (any Error).self) {
            try model(Self.batch(items, targets: [7], length: 6, paddingID: 21))
        }
    }

    /// The model reads its history as the batcher padded it; a history padded on the other side
    /// than its variant asks is refused, not silently misread.
    @Test func historyPaddedOnTheWrongSideIsRefused() throws {
        let model = try Self.model(.original)
        #expect(model.requirements.sequences["items"]?.padding == .leading)
        #expect(try Self.model(.recbole).requirements.sequences["items"]?.padding == .trailing)
        #expect(throws: (any Error).self) {
            try model(Self.batch([[3, 4, 5]], targets: [6], length: 6, paddingID: 21, padsLeft: false))
        }
    }
}
