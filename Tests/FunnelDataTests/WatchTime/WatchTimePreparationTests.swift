import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelData

/// watchtime.md §0.1–0.2 on hand-written logs: exact rows after truncation, rounding, the
/// duration filter and the date split; features; side tables; the KuaiRand 1k sample.
@Suite struct WatchTimePreparationTests {
    static let labelColumns = ["user", "video", "day", "watch_time", "play_time", "duration", "long_view", "long_view_quantile"]

    @Test func truncatesRoundsFiltersAndSplitsByDate() throws {
        let scratch = try ScratchFolder()
        let file = try scratch.write("log.csv", WatchTimeFixture.log)
        let preparation = try WatchTimeFixture.prepare([file])
        let dataset = try preparation.write(to: scratch.path + "/out", name: "tiny")
        // 2500 ms → 2 s and 5500 ms → 6 s (half to even), 240,400 ms → 240 s (kept), 3500 ms
        // → 4 s and 250 s dropped; w_trunc = min(45 s, 30 s) = 30. Users and videos re-indexed
        // in order of first appearance: users 1, 3, 2 → 0, 1, 2; videos 10, 12 → 0, 1.
        #expect(try WatchTimeFixture.rows(dataset, "train", Self.labelColumns) == [
            [0, 0, 20_220_408, 2, 2, 30, 0, 0],
            [1, 0, 20_220_410, 20, 20, 30, 1, 1],
        ])
        #expect(try WatchTimeFixture.rows(dataset, "validation", Self.labelColumns) == [[2, 0, 20_220_422, 30, 45, 30, 1, 1]])
        #expect(try WatchTimeFixture.rows(dataset, "test", Self.labelColumns) == [
            [2, 1, 20_220_430, 6, 6, 6, 1, 1],
            [0, 1, 20_220_501, 4, 4, 240, 0, 0],
        ])
        #expect(try WatchTimeFixture.rows(dataset, "train", ["tab"]) == [[0], [1]])
        let report = preparation.report
        #expect(report.rowsRead == 8 && report.droppedByDuration == 2 && report.droppedOutsideSplits == 1)
        #expect(report.splitRows.map(\.rows) == [2, 1, 2])
        #expect(report.completePlayShare == 0.4)
        #expect(report.fixedThreshold == 18)
        // numpy.quantile([2, 20, 30, 6, 4], 0.7) = 17.2 over all splits.
        #expect(abs(report.quantileThreshold - 17.2) < 1e-12)
        #expect(report.users == 3 && report.videos == 2)
        let schema = dataset.schema
        #expect(schema.column(named: "user")?.role == .user && schema.column(named: "video")?.role == .item)
        #expect(schema.column(named: "day")?.role == .day)
        #expect(schema.labels == ["watch_time", "play_time", "duration", "long_view", "long_view_quantile"])
        #expect(schema.columns.map(\.name).filter { !Self.labelColumns.contains($0) } == ["tab"])
        let notes = try #require(schema.notes)
        #expect(notes.contains("theta = 18 s") && notes.contains("theta = 17.2 s"))
        #expect(notes.contains("half to even") && notes.contains("5 <= duration <= 240"))
        #expect(notes.contains("Features") && notes.contains("user_id (as user), video_id (as video), tab"))
        #expect(Set(try dataset.split("train").column("user")!.keys!.array) == [0, 1])
    }

    @Test func feedbackFlagsAreFeaturesOnlyOnRequest() throws {
        let scratch = try ScratchFolder()
        let file = try scratch.write("log.csv", WatchTimeFixture.log)
        let plain = try WatchTimeFixture.prepare([file])
        #expect(plain.log.features.map(\.name) == ["tab"])
        #expect(plain.columns.contains { $0.name == "is_like" } == false)
        let flagged = try WatchTimeFixture.prepare([file], includeFeedbackFlags: true)
        #expect(flagged.log.features.map(\.name) == ["tab", "is_like"])
        let dataset = try flagged.write(to: scratch.path + "/out")
        #expect(try WatchTimeFixture.rows(dataset, "train", ["is_like"]) == [[0], [1]])
        #expect(try WatchTimeFixture.rows(dataset, "test", ["is_like"]) == [[0], [0]])
        let chosen = try WatchTimeFixture.prepare([file], features: ["user_id", "is_like"])
        #expect(chosen.log.features.map(\.name) == ["is_like"])
        #expect(throws: WatchTimePreparation.Refusal.self) {
            try WatchTimeFixture.prepare([file], features: ["music_id"])
        }
    }

    @Test func joinsUsersAndVideosWithThePopularTag() throws {
        let scratch = try ScratchFolder()
        let file = try scratch.write("log.csv", WatchTimeFixture.log)
        let users = try scratch.write("users.csv", "user_id,user_active_degree\n1,high_active\n2,low_active\n")
        let videos = try scratch.write(
            "videos.csv", "video_id,author_id,video_duration,tag\n10,7,1,\"1,2\"\n12,8,1,\"2,3\"\n13,9,1,3\n11,9,1,3\n14,9,1,\"5,4\"\n15,9,1,\n")
        let preparation = try WatchTimeFixture.prepare([file], users: users, videos: videos)
        #expect(preparation.log.features.map(\.name) == ["user_active_degree", "author_id", "tag_pop", "tab"])
        #expect(preparation.log.unmatchedKeys[users] == 3 && preparation.log.unmatchedKeys[videos] == 0)
        let dataset = try preparation.write(to: scratch.path + "/out")
        let columns = ["user_active_degree", "author_id", "tag_pop"]
        // User 3 has no row: its own 'missing' category. Tag 3 is on 3 videos, tag 2 on 2:
        // video 10 (tags 1, 2) → 2, video 12 (tags 2, 3) → 3.
        #expect(try WatchTimeFixture.rows(dataset, "train", columns) == [[0, 0, 0], [1, 0, 0]])
        #expect(try WatchTimeFixture.rows(dataset, "validation", columns) == [[2, 0, 0]])
        #expect(try WatchTimeFixture.rows(dataset, "test", columns) == [[2, 1, 1], [0, 1, 1]])
        // Ties go to the smaller id; no tag gives the missing token.
        let table = try WatchTimeSideTable(path: videos, keyColumn: "video_id", option: "--videos")
        let tokens = try table.tokens(of: ["tag_pop"])
        #expect(tokens[14] == [WatchTimeSideTable.token(ofTag: 4)])
        #expect(tokens[10] == [WatchTimeSideTable.token(ofTag: 2)])
        #expect(tokens[15] == [WatchTimeLog.missingToken])
    }

    @Test func readsSeveralLogsAsOne() throws {
        let scratch = try ScratchFolder()
        let lines = WatchTimeFixture.log.split(separator: "\n").map(String.init)
        let first = try scratch.write("a.csv", lines[0...4].joined(separator: "\n") + "\n")
        let second = try scratch.write("b.csv", ([lines[0]] + lines[5...]).joined(separator: "\n") + "\n")
        let whole = try scratch.write("log.csv", WatchTimeFixture.log)
        let split = try WatchTimeFixture.prepare([first, second])
        let single = try WatchTimeFixture.prepare([whole])
        #expect(split.report.splitRows.map(\.rows) == single.report.splitRows.map(\.rows))
        #expect(split.userIDs == single.userIDs && split.quantileLabels == single.quantileLabels)
    }

    @Test(.needsSharedData) func convertsTheKuaiRandSampleWithoutDates() throws {
        let folder = try SharedData.folder(named: "kuairand-sample")
        let path = folder + "/kuairand_1k_sample.csv"
        let scratch = try ScratchFolder()
        let preparation = try WatchTimeFixture.prepare([path], plan: .single)
        let dataset = try preparation.write(to: scratch.path + "/kuairand")
        // Expected from the file itself: durations rounded half to even, kept in 5...240 s.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = lines[0].map(String.init)
        let durationIndex = try #require(header.firstIndex(of: "duration_ms"))
        let kept = lines.dropFirst().filter { row in
            let seconds = (Double(row[durationIndex])! / 1000).rounded(.toNearestOrEven)
            return (5...240).contains(seconds)
        }
        #expect(preparation.report.rowsRead == 200)
        #expect(preparation.report.splitRows.map(\.name) == ["train"])
        #expect(try dataset.split("train").rowCount == kept.count)
        #expect(preparation.report.droppedByDuration == 200 - kept.count)
        #expect(dataset.schema.column(named: "day") == nil)
        #expect(preparation.log.features.map(\.name) == [
            "follow_user_num_range", "register_days_range", "fans_user_num_range", "friend_user_num_range",
            "user_active_degree", "video_type", "tab",
        ])
        #expect(preparation.log.chosenFeatures.first == "user_id")
        #expect(Set(dataset.splits.keys) == ["train"])
    }
}
