import FunnelTensor
import Testing
@testable import FunnelLanguage

@Suite struct ActionGrammarTests {
    @Test func conversationalOracle() {
        #expect(ActionGrammar.validate("Ask[Which genre?]"))
        #expect(!ActionGrammar.validate("Ask Which genre?"))
        #expect(!ActionGrammar.validate("Ask[[x]]"))
    }

    @Test func acceptsEveryKindAndRejectsMalformedActions() {
        let accepted = [
            "Recommend[The Name of the Wind]", "Search[cozy fantasy, dragons]",
            "Response[Sure — here you go!]",
            "Ask[Préférez-vous 日本 novels? 🎉]", "Ask[two\nlines]", "Search[ ]",
        ]
        for text in accepted { #expect(ActionGrammar.validate(text), "\(text)") }
        let rejected = [
            "Ask[]", "ask[x]", "Tell[x]", "Ask[x] ", " Ask[x]", "Ask[x]]", "Ask[a[b]", "Ask[x",
            "Ask(x)",
            "Recommend[x]Ask[y]", "Search[x]\n", "", "Ask",
        ]
        for text in rejected { #expect(!ActionGrammar.validate(text), "\(text)") }
    }

    @Test func validateMatchesARegexEngineOnRandomStrings() throws {
        // Swift's Regex runs ECPO's expression (anchors dropped: wholeMatch anchors it, and a
        // `$` before a final newline is not wanted); both must agree.
        let regex = try Regex(String(ActionGrammar.pattern.dropFirst().dropLast()))
        var generator = RandomGenerator(seed: 22)
        let pieces = [
            "Ask", "Search", "Recommend", "Response", "[", "]", "x", " ", "é", "\n", "Ask[", "?",
        ]
        for _ in 0..<2000 {
            let text = (0..<Int(generator.next() % 6)).map { _ in
                pieces[Int(generator.next() % UInt64(pieces.count))]
            }.joined()
            let engine = (try? regex.wholeMatch(in: text)) != nil
            #expect(ActionGrammar.validate(text) == engine, "\(text.debugDescription)")
        }
    }

    @Test func parseSplitsKindAndArgument() {
        #expect(ActionGrammar.parse("Recommend[Dune]") == .init(kind: .recommend, argument: "Dune"))
        #expect(ActionGrammar.parse("Ask[[x]]") == nil)
        #expect(ActionGrammar.Action(kind: .search, argument: "sci-fi").text == "Search[sci-fi]")
    }
}
