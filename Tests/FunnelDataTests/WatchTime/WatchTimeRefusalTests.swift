import Foundation
import Testing

@testable import FunnelData

/// Every refusal of `funnel data watch-time` names where and what (watchtime.md §0.1), and
/// leaves no output folder behind.
@Suite struct WatchTimeRefusalTests {
    /// Prepares `log` (file `log.csv`) into `out` and returns the refusal's message; checks that
    /// nothing was written.
    func refusal(_ log: String, plan: WatchTimePreparation.SplitPlan = .kuaiRand) throws -> (message: String, file: String) {
        let scratch = try ScratchFolder()
        let file = try scratch.write("log.csv", log)
        let output = scratch.path + "/out"
        var message = ""
        do {
            let preparation = try WatchTimeFixture.prepare([file], plan: plan)
            try preparation.write(to: output)
            Issue.record("expected a refusal")
        } catch {
            message = String(describing: error)
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["log.csv"])
        return (message, file)
    }

    static let header = "user_id,video_id,date,play_time_ms,duration_ms,is_like,tab\n"

    @Test func negativeDurationIsLocated() throws {
        let (message, file) = try refusal(Self.header + "1,10,20220408,2500,30000,0,1\n1,11,20220409,3500,-5,1,1\n")
        #expect(message == "\(file):3:5 (column 'duration_ms'): found '-5', expected a non-negative number of milliseconds (the duration)")
    }

    @Test func watchTimeThatIsNotANumberIsLocated() throws {
        let (message, file) = try refusal(Self.header + "1,10,20220408,abc,30000,0,1\n")
        #expect(message == "\(file):2:4 (column 'play_time_ms'): found 'abc', expected a non-negative number of milliseconds (the play time)")
    }

    @Test func missingColumnIsLocatedAtTheHeader() throws {
        let (message, file) = try refusal("user_id,video_id,date,play_time_ms\n1,10,20220408,2500\n")
        #expect(message == """
            \(file):1: found 'user_id,video_id,date,play_time_ms', expected a column named 'duration_ms' \
            (the video's duration); the header's columns are: 'user_id', 'video_id', 'date', 'play_time_ms'
            """)
    }

    @Test func missingDateColumnPointsAtNoDates() throws {
        let (message, file) = try refusal("user_id,video_id,play_time_ms,duration_ms\n1,10,2500,30000\n")
        #expect(message.hasPrefix("\(file):1: found 'user_id,video_id,play_time_ms,duration_ms', expected a column named 'date'"))
        #expect(message.contains("--no-dates"))
    }

    @Test func dateThatIsNotYYYYMMDDIsLocated() throws {
        let expected = "expected a date written YYYYMMDD (for example 20220408)"
        let (dashed, file) = try refusal(Self.header + "1,10,20220408,2500,30000,0,1\n1,10,2022-04-08,2500,30000,0,1\n")
        #expect(dashed == "\(file):3:3 (column 'date'): found '2022-04-08', \(expected)")
        let (impossible, other) = try refusal(Self.header + "1,10,20220230,2500,30000,0,1\n")
        #expect(impossible == "\(other):2:3 (column 'date'): found '20220230', \(expected)")
    }

    @Test func emptySplitIsNamed() throws {
        // The only validation view is dropped by the duration filter (3 s).
        let log = Self.header + "1,10,20220408,2500,30000,0,1\n2,10,20220422,3000,3000,0,1\n1,12,20220501,4500,40000,0,1\n"
        let (message, _) = try refusal(log)
        #expect(message.hasPrefix("split 'validation' has no exposures (dates 20220422-20220428)"))
        let (test, _) = try refusal(Self.header + "1,10,20220408,2500,30000,0,1\n2,10,20220422,9000,30000,0,1\n")
        #expect(test.hasPrefix("split 'test' has no exposures (dates 20220429-20220508)"))
    }

    @Test func emptyTrainWithoutDatesIsNamed() throws {
        let (message, _) = try refusal("user_id,video_id,play_time_ms,duration_ms\n1,10,2500,3000\n", plan: .single)
        #expect(message.hasPrefix("split 'train' has no exposures after filtering"))
    }
}
