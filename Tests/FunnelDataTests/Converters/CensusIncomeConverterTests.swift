import Foundation
import FunnelTestSupport
import Testing

@testable import FunnelData

@Suite struct CensusIncomeConverterTests {
    static let raw = ConvertedDataset.once(.censusIncome)
    static let sample = ConvertedDataset.once(.censusIncomeSample)

    @Test(.needsSharedData) func convertsTheRawUCIFileIntoThreeSplits() throws {
        let converted = try Self.raw.get()
        // shared/data/census-income-kdd/README.md: 99,762 rows; income 50000+. = 6,186 (6.2 %);
        // marital status Never married = 43,143 (43.2 %).
        let splits = ["train", "validation", "test"]
        #expect(try splits.map { try converted.rows($0) } == [49_882, 24_940, 24_940])
        let incomes = try splits.map { try converted.positives("income", in: $0) }
        let neverMarried = try splits.map { try converted.positives("never_married", in: $0) }
        #expect(incomes == [3_078, 1_547, 1_561])
        #expect(neverMarried == [21_690, 10_703, 10_750])
        #expect(incomes.reduce(0, +) == 6_186)
        #expect(neverMarried.reduce(0, +) == 43_143)
        #expect((Double(incomes.reduce(0, +)) / 99_762 * 1_000).rounded() / 10 == 6.2)
        #expect((Double(neverMarried.reduce(0, +)) / 99_762 * 1_000).rounded() / 10 == 43.2)
        try converted.expectReportMatchesLoadedData()
    }

    @Test(.needsSharedData) func keepsTheMaritalStatusAndTheWeightOutOfTheFeatures() throws {
        let converted = try Self.raw.get()
        let schema = converted.dataset.schema
        #expect(schema.labels == ["income", "never_married"])
        #expect(schema.column(named: "marital_status")?.role == .metadata)
        #expect(schema.column(named: "instance_weight")?.role == .metadata)
        let features = schema.columns.filter { $0.role == .feature && $0.kind != .label }
        #expect(features.count == 39)
        #expect(
            features.filter { $0.kind == .dense }.map(\.name) == [
                "age", "wage_per_hour", "capital_gains", "capital_losses", "dividends_from_stocks",
                "persons_worked_for_employer", "weeks_worked",
            ])
        // Raw values: ages 0–90, weeks worked 0–52; '?' became missing (330 previous-residence states).
        let age = try converted.column("age", in: "train")
        #expect(age.minimum == 0 && age.maximum == 90)
        #expect(try converted.column("weeks_worked", in: "test").maximum == 52)
        let missingStates = converted.dataset.reports.compactMap {
            $0.emptyValues["previous_residence_state"]
        }
        #expect(missingStates.reduce(0, +) == 330)
        // Spaces around values are gone: 'Never married' and 'Married-…' are 7 statuses.
        #expect(converted.dataset.vocabulary(for: "marital_status")?.size == 8)
    }

    /// The split is stated in the notes and is a rule on row positions, with no random choice:
    /// two conversions write the same bytes, file for file.
    @Test(.needsSharedData) func theSplitIsStatedAndTwoConversionsWriteTheSameBytes() throws {
        let notes = try #require(try Self.raw.get().dataset.schema.notes)
        #expect(notes.contains("row i (0-based, file order) goes to train if i mod 4 is 0 or 1"))
        #expect(notes.contains("validation if 2, test if 3"))
        let source = try SharedDataFolder.folder(for: .censusIncome)
        let scratch = try ScratchFolder()
        var files: [[String: Data]] = []
        for run in 0..<2 {
            let output = scratch.path + "/run\(run)"
            try DatasetConverter.convert(.censusIncome, source: source, output: output)
            let names = try FileManager.default.subpathsOfDirectory(atPath: output)
            var contents: [String: Data] = [:]
            for name in names {
                var isFolder: ObjCBool = false
                FileManager.default.fileExists(atPath: output + "/" + name, isDirectory: &isFolder)
                if !isFolder.boolValue {
                    contents[name] = try Data(contentsOf: URL(fileURLWithPath: output + "/" + name))
                }
            }
            files.append(contents)
        }
        #expect(files[0].count >= 4, "\(files[0].keys.sorted())")
        #expect(files[0].keys.sorted() == files[1].keys.sorted())
        for name in files[0].keys.sorted() {
            #expect(files[0][name] == files[1][name], "\(name) differs between two conversions")
        }
        // Neither label nor its source is an input.
        let inputs = Set(
            CensusIncomeConverter.columns.filter { $0.role == .feature && $0.kind != .label }.map(\.name))
        #expect(inputs.isDisjoint(with: ["marital_status", "never_married", "income", "instance_weight"]))
    }

    @Test(.needsSharedData) func convertsTheProcessedSamples() throws {
        let converted = try Self.sample.get()
        // README: 80 / 20 / 20 rows. Labels counted from the files: income 5/2/2, never married 27/3/6.
        let splits = ["train", "validation", "test"]
        #expect(try splits.map { try converted.rows($0) } == [80, 20, 20])
        #expect(try splits.map { try converted.positives("income", in: $0) } == [5, 2, 2])
        #expect(try splits.map { try converted.positives("never_married", in: $0) } == [27, 3, 6])
        #expect(try converted.column("never_married", in: "train").positiveRate == 27.0 / 80)
        let schema = converted.dataset.schema
        #expect(schema.labels == ["income", "never_married"])
        // Same names as the raw conversion, minus the survey weight and marital status.
        let raw = CensusIncomeConverter.columns.filter { $0.role == .feature }.map(\.name)
        #expect(schema.columns.filter { $0.role == .feature }.map(\.name) == raw)
        #expect(schema.column(named: "industry_code")?.vocabulary == .identity(size: 51))
        try converted.expectReportMatchesLoadedData()
    }
}
