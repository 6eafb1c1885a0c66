import FunnelTestSupport
import Testing

@testable import FunnelData

@Suite struct KuaiRandConverterTests {
    static let log = ConvertedDataset.once(.kuaiRand)
    static let videos = ConvertedDataset.once(.kuaiRandVideos)

    @Test(.needsSharedData) func convertsTheLogSampleWithWatchTimeLabels() throws {
        let converted = try Self.log.get()
        // shared/data/kuairand-sample/README.md: 200 rows, 145 users, 29 videos, 32 clicks,
        // play_time_ms 217–75,202, duration_ms 0–382,566.
        #expect(try converted.rows("train") == 200)
        #expect(try converted.positives("click", in: "train") == 32)
        #expect(try converted.column("click", in: "train").positiveRate == 0.16)
        #expect(Set(try converted.keys("user", in: "train")).count == 145)
        #expect(Set(try converted.keys("video", in: "train")).count == 29)
        let watchTime = try converted.column("watch_time", in: "train")
        #expect(watchTime.minimum == 217 && watchTime.maximum == 75_202)
        let duration = try converted.column("duration", in: "train")
        #expect(duration.minimum == 0 && duration.maximum == 382_566)
        // Counted from the file: nobody visited a profile, two rows spent time in comments.
        #expect(try converted.positives("profile_stay_time", in: "train") == 0)
        #expect(try converted.positives("comment_stay_time", in: "train") == 2)
        try converted.expectReportMatchesLoadedData()
    }

    @Test(.needsSharedData) func namesLabelsAndRoles() throws {
        let schema = try Self.log.get().dataset.schema
        #expect(
            schema.labels == [
                "click", "watch_time", "duration", "profile_stay_time", "comment_stay_time",
            ])
        #expect(schema.column(named: "user")?.role == .user)
        #expect(schema.column(named: "video")?.role == .item)
        #expect(schema.column(named: "tab")?.vocabulary == .identity(size: 15))
        #expect(schema.column(named: "follow_count")?.kind == .dense)
        #expect(schema.sideTables.isEmpty)
        #expect(schema.notes?.contains("CC BY-SA 4.0") == true)
    }

    @Test(.needsSharedData) func convertsThePureVideoTable() throws {
        let converted = try Self.videos.get()
        // README: 7,583 videos (ids 0…7582); video_duration empty for 239, median 81,241 ms
        // (the upper of the two middle values).
        #expect(try converted.rows("videos") == 7_583)
        #expect(
            converted.dataset.schema.column(named: "video")?.vocabulary == .identity(size: 7_583))
        let duration = try converted.column("duration", in: "videos")
        #expect(duration.missing == 239)
        let values = try #require(
            converted.dataset.split("videos").column("duration")?.values.floats)
        let sorted = values.array.filter { !$0.isNaN }.sorted()
        #expect(sorted[sorted.count / 2] == 81_241)
        let day = try converted.column("upload_day", in: "videos")
        #expect(day.minimum == Double(UTCTimestamp.days(year: 2022, month: 4, day: 9)))
        #expect(day.maximum == Double(UTCTimestamp.days(year: 2022, month: 4, day: 11)))
        #expect(try converted.column("tags", in: "videos").maximumLength! >= 2)
        try converted.expectReportMatchesLoadedData()
    }

    @Test func readsCivilDates() {
        #expect(UTCTimestamp.days(year: 1970, month: 1, day: 1) == 0)
        #expect(UTCTimestamp.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(UTCTimestamp.days(year: 2019, month: 11, day: 24) == 18_224)
    }
}
