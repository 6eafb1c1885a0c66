import Foundation
import FunnelData
import FunnelModels
import Testing

/// The exhaustive scorer against sequential.md §4.9's oracles, and the guarded log-softmax.
@Suite struct ExhaustiveItemScorerTests {
    @Test(arguments: 0..<8)
    func argmaxItemHasTheMaximalScore(seed: Int) {
        let sizes = [7, 5, 9, 4]
        var semanticIDs = DecodingFixtures.semanticIDs(
            itemCount: 60, digitSizes: sizes, seed: UInt64(seed))
        let logits = DecodingFixtures.logits(users: 1, digitSizes: sizes, seed: UInt64(seed) + 100)
        let logProbabilities = DigitLogProbabilities(logits: logits, digitSizes: sizes)
        // Item 17 gets every digit's argmax code.
        for digit in sizes.indices {
            let row = Array(
                logits[logProbabilities.offsets[digit]..<logProbabilities.offsets[digit + 1]])
            semanticIDs.codes[17 * sizes.count + digit] = Int32(
                row.indices.max { row[$0] < row[$1] }!)
        }
        let scores = ExhaustiveItemScorer(semanticIDs).scores(logProbabilities, user: 0)
        #expect(scores[0] == -.infinity)
        for item in 1...60 { #expect(scores[item] <= scores[17]) }
    }

    @Test func identicalTuplesGetIdenticalScores() {
        let sizes = [3, 3, 3, 3, 3, 3]
        var semanticIDs = DecodingFixtures.semanticIDs(itemCount: 40, digitSizes: sizes, seed: 3)
        for digit in sizes.indices {
            semanticIDs.codes[31 * sizes.count + digit] = semanticIDs.codes[8 * sizes.count + digit]
        }
        let logProbabilities = DecodingFixtures.logProbabilities(
            users: 3, digitSizes: sizes, seed: 4)
        let scorer = ExhaustiveItemScorer(semanticIDs)
        let scores = scorer.scores(logProbabilities)
        for user in 0..<3 {
            #expect(scores[user * 41 + 8] == scores[user * 41 + 31])
            #expect(
                scorer.score(item: 8, logProbabilities, user: user)
                    == scorer.score(item: 31, logProbabilities, user: user))
        }
    }

    @Test func batchScoresMatchOneUserAndOneItemAtATime() {
        let sizes = [6, 2, 5]
        let semanticIDs = DecodingFixtures.semanticIDs(itemCount: 25, digitSizes: sizes, seed: 5)
        let logProbabilities = DecodingFixtures.logProbabilities(
            users: 4, digitSizes: sizes, seed: 6)
        let scorer = ExhaustiveItemScorer(semanticIDs)
        let batch = scorer.scores(logProbabilities)
        #expect(batch.count == 4 * 26)
        for user in 0..<4 {
            let single = scorer.scores(logProbabilities, user: user)
            let chosen = [25, 3, 3, 17, 1]
            #expect(
                scorer.scores(items: chosen, logProbabilities, user: user)
                    == chosen.map { single[$0] })
            #expect(Array(batch[(user * 26)..<((user + 1) * 26)]) == single)
            for item in 1...25 {
                var total: Float = 0
                for digit in 0..<3 {
                    total += logProbabilities.value(
                        user: user, digit: digit,
                        code: Int(semanticIDs.code(item: item, digit: digit)))
                }
                #expect(single[item] == total / 3)
                #expect(scorer.score(item: item, logProbabilities, user: user) == single[item])
            }
        }
    }

    @Test func topItemsRankByScoreThenItemID() {
        let sizes = [2, 2, 2]
        let semanticIDs = DecodingFixtures.semanticIDs(itemCount: 30, digitSizes: sizes, seed: 7)
        let logProbabilities = DecodingFixtures.logProbabilities(
            digitSizes: sizes, levels: 1, seed: 8)
        let scorer = ExhaustiveItemScorer(semanticIDs)
        let scores = scorer.scores(logProbabilities, user: 0)
        let expected = (1...30).sorted {
            scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1
        }
        #expect(scorer.topItems(logProbabilities, user: 0, count: 30).map(\.item) == expected)
        #expect(
            scorer.topItems(logProbabilities, user: 0, count: 5).map(\.item)
                == Array(expected.prefix(5)))
        #expect(scorer.topItems(logProbabilities, user: 0, count: 50).count == 30)
    }

    @Test func logSoftmaxNormalisesEveryDigitAndIsGuarded() {
        let sizes = [3, 4]
        let logits: [Float] = [
            1, 2, 3, 500, 500, -500, -.infinity, -.infinity, -.infinity, -.infinity, 0, 1,
            .infinity, .infinity,
        ]
        let probabilities = DigitLogProbabilities(logits: logits, digitSizes: sizes, users: 2)
        for user in 0..<2 {
            for digit in 0..<2 {
                let total = probabilities.row(user: user, digit: digit).reduce(Float(0)) {
                    $0 + exp($1)
                }
                #expect(abs(total - 1) < 1e-5)
            }
        }
        #expect(
            abs(
                probabilities.value(user: 0, digit: 0, code: 2)
                    - (3 - log(exp(1) + exp(2) + exp(3)))) < 1e-5)
        #expect(abs(probabilities.value(user: 0, digit: 1, code: 0) - log(0.5)) < 1e-6)
        #expect(probabilities.value(user: 0, digit: 1, code: 2) < -900)
        #expect(probabilities.row(user: 1, digit: 0).allSatisfy { abs($0 - log(1 / 3)) < 1e-6 })
        let shared: [Float] = [-.infinity, -.infinity, -log(Float(2)), -log(Float(2))]
        #expect(Array(probabilities.row(user: 1, digit: 1)) == shared)
    }
}
