import Testing

@testable import FunnelConversation

@Suite struct ECPOReportTests {
    /// The standard error is the sample deviation over √n; equal values and a single value have
    /// none.
    @Test func meanAndStandardError() {
        let (mean, error) = ECPOReport.meanAndError([1, 0, 1, 0])
        #expect(mean == 0.5)
        #expect(abs(error - (1.0 / 3).squareRoot() / 2) < 1e-15)
        let equal = ECPOReport.meanAndError([0.7, 0.7, 0.7])
        #expect(abs(equal.mean - 0.7) < 1e-15 && equal.error == 0)
        #expect(ECPOReport.meanAndError([0.3]) == (0.3, 0))
        #expect(ECPOReport.meanAndError([]) == (0, 0))
    }

    /// Paired differences use only the personas both agents have.
    @Test func pairedDifferencesMatchPersonas() {
        func record(_ persona: String, _ success: Bool) -> DialogueRecord {
            DialogueRecord(
                id: "a/\(persona)", agent: "a", personaId: persona, targetId: "1", targetTitle: "T", turns: [], success: success,
                recall: false, ending: .userEnded, abortReason: nil, calls: [:], seconds: 0)
        }
        let difference = ECPOReport.difference(
            "SR", before: [record("p1", false), record("p2", true)], after: [record("p1", true), record("p3", true)]
        ) { $0.success ? 1 : 0 }
        #expect(difference.mean == 1 && difference.personas == 1 && difference.standardError == 0)
    }
}
