import FunnelTestSupport
import Testing

@testable import FunnelData

@Suite struct AliExpressConverterTests {
    static let converted = ConvertedDataset.once(.aliExpress)

    @Test(.needsSharedData) func keepsTrainAndTestWithTheReadmeCounts() throws {
        let converted = try Self.converted.get()
        // shared/data/aliexpress-sample/README.md: train 100 rows, 60 clicks, 2 conversions;
        // test 20 rows, 10 clicks, 2 conversions.
        for (split, rows, clicks, conversions) in [("train", 100, 60, 2), ("test", 20, 10, 2)] {
            #expect(try converted.rows(split) == rows)
            #expect(try converted.positives("click", in: split) == clicks)
            #expect(try converted.positives("conversion", in: split) == conversions)
        }
        #expect(try converted.column("click", in: "train").positiveRate == 0.6)
        #expect(try converted.column("conversion", in: "test").positiveRate == 0.1)
        try converted.expectReportMatchesLoadedData()
    }

    @Test(.needsSharedData) func declaresSearchGroupsSparseAndDenseFeatures() throws {
        let converted = try Self.converted.get()
        let schema = converted.dataset.schema
        #expect(schema.labels == ["click", "conversion"])
        #expect(schema.column(named: "search")?.role == .group)
        #expect(schema.column(named: "search")?.vocabulary == .identity(size: 2081))
        #expect(
            schema.columns.filter { $0.kind == .categorical && $0.role == .feature }.count == 16)
        #expect(schema.columns.filter { $0.kind == .dense }.count == 63)
        // 41 distinct searches among the 100 train rows (README).
        #expect(Set(try converted.keys("search", in: "train")).count == 41)
        let numerical = try converted.column("numerical_1", in: "train")
        #expect((numerical.minimum ?? -1) >= 0 && (numerical.maximum ?? 2) <= 1)
    }
}
