import FunnelTestSupport
import Testing

@testable import FunnelData

@Suite struct AliCCPConverterTests {
    static let converted = ConvertedDataset.once(.aliCCP)

    /// shared/data/ali-ccp-sample/README.md: rows, click=1 and purchase=1 per file.
    static let readme = [("train", 100, 7, 1), ("validation", 50, 3, 1), ("test", 50, 2, 1)]

    @Test(.needsSharedData) func keepsTheThreeSplitsAndTheirLabelCounts() throws {
        let converted = try Self.converted.get()
        for (split, rows, clicks, purchases) in Self.readme {
            #expect(try converted.rows(split) == rows)
            #expect(try converted.positives("click", in: split) == clicks)
            #expect(try converted.positives("conversion", in: split) == purchases)
            let rate = try #require(converted.column("click", in: split).positiveRate)
            #expect(abs(rate - Double(clicks) / Double(rows)) < 1e-12)
        }
        #expect(try converted.column("click", in: "train").positiveRate == 0.07)
        #expect(try converted.column("conversion", in: "validation").positiveRate == 0.02)
        #expect(converted.report.splits.map(\.rows) == [100, 50, 50])
        #expect(converted.report.split("test")?.label("click")?.positives == 2)
        try converted.expectReportMatchesLoadedData()
    }

    @Test(.needsSharedData) func namesTheFieldsAndGivesUserAndItemTheirRoles() throws {
        let converted = try Self.converted.get()
        let schema = converted.dataset.schema
        #expect(schema.labels == ["click", "conversion"])
        #expect(schema.columns.filter { $0.kind == .categorical }.count == 23)
        #expect(schema.columns.filter { $0.kind == .dense }.count == 8)
        #expect(schema.column(named: "user")?.role == .user)
        #expect(schema.column(named: "item")?.role == .item)
        #expect(schema.notes?.contains("205→item") == true)
        // Identity vocabularies sized by the largest id over the three files, + 1.
        #expect(schema.column(named: "item")?.vocabulary == .identity(size: 120))
        #expect(schema.column(named: "user_consumption_level_1")?.vocabulary == .identity(size: 1))
        #expect(converted.dataset.vocabulary(for: "item_shop")?.size == 140)
    }
}
