/// Converts torch-rechub's processed Census-Income samples
/// (`census_income_{train,val,test}_sample.csv`, 80 / 20 / 20 rows).
///
/// Output: splits `train`, `validation`, `test` (the source's own), labels `income` and
/// `never_married` (the sample's `marital status` column, which torch-rechub already turned
/// into that 0/1 label), the 7 min-max scaled continuous fields as dense columns and the 32
/// label-encoded fields as categorical columns with identity vocabularies of size
/// `largest code + 1`. Column names are the same as ``CensusIncomeConverter``'s.
struct CensusIncomeSampleConverter {
    let source: String

    static let splits = [
        ("train", "census_income_train_sample.csv"), ("validation", "census_income_val_sample.csv"),
        ("test", "census_income_test_sample.csv"),
    ]

    func convert(into output: inout ConversionOutput) throws {
        let labels: [ColumnMapping] = [
            .label("income", as: CensusIncomeFields.income),
            .label("marital status", as: CensusIncomeFields.neverMarried),
        ]
        let features: [ColumnMapping] = CensusIncomeFields.features.map { field in
            field.continuous
                ? .dense(field.sampleName!, as: field.name)
                : .encoded(field.sampleName!, as: field.name)
        }
        var transcoder = TableTranscoder(labels + features)
        for (split, file) in Self.splits {
            let table = try SourceTable(path: output.sourcePath(file))
            let writer = try transcoder.transcode(table, name: split) { row, positions in
                for position in positions[0..<2]
                where !row.equals(position, "0") && !row.equals(position, "1") {
                    throw row.failure(position, expected: "a 0/1 label")
                }
            }
            try output.addSplit(writer)
        }
        output.name = "census-income-sample"
        output.columns = transcoder.columns
        output.notes = CensusIncomeFields.citation + " " + Self.notes
    }

    static let notes = """
        Source: torch-rechub (MIT repo, commit 77056e20) examples/ranking/data/census-income/\
        census_income_{train,val,test}_sample.csv, byte-for-byte in shared/data/census-income-kdd. \
        Fixture only: encodings come from torch-rechub's full-data encoders and do not match the raw \
        file's strings. Changes: splits train/validation/test are the source's train/val/test files. \
        'marital status' is already torch-rechub's second label (1 = Never married) and becomes \
        never_married; income is the first (1 = over 50K). Both are checked to be 0 or 1. Columns renamed \
        as in the census-income conversion: \(CensusIncomeFields.renaming). The 7 continuous fields keep \
        torch-rechub's min-max scaling (over its train+test, 4 decimals) as dense columns; the other 32 \
        keep their label encoding with identity vocabularies of size largest code over \
        train+validation+test + 1 (torch-rechub's sizing).
        """
}
