/// Converts torch-rechub's processed AliExpress (US) sample (`aliexpress_{train,test}_sample.csv`).
///
/// AliExpress Searching System Dataset, Tianchi dataset 74690; released with Pengcheng Li et
/// al., *Improving Multi-Scenario Learning to Rank in E-commerce by Exploiting Task
/// Relationships in the Label Space*, CIKM 2020.
///
/// Output: splits `train` and `test` (the source's own), labels `click` and `conversion`,
/// `search_id` as the grouping key (role `group`, for per-search metrics), the 16 categorical
/// features (identity vocabularies of size `largest id + 1` over both splits) and the 63
/// normalised numerical features as dense columns. The set has no user or item id.
struct AliExpressConverter {
    let source: String

    static let categoricalCount = 16
    static let numericalCount = 63
    static let splits = [
        ("train", "aliexpress_train_sample.csv"), ("test", "aliexpress_test_sample.csv"),
    ]

    func convert(into output: inout ConversionOutput) throws {
        var transcoder = TableTranscoder(
            [
                .label("click", as: "click"), .label("conversion", as: "conversion"),
                .encoded("search_id", as: "search", role: .group),
            ]
                + (1...Self.categoricalCount).map {
                    .encoded("categorical_\($0)", as: "categorical_\($0)")
                }
                + (1...Self.numericalCount).map { .dense("numerical_\($0)", as: "numerical_\($0)") }
        )
        for (split, file) in Self.splits {
            let table = try SourceTable(path: output.sourcePath(file))
            let writer = try transcoder.transcode(table, name: split) { row, positions in
                if try row.double(positions[1]) > 0, try row.double(positions[0]) <= 0 {
                    throw row.failure(
                        positions[1], expected: "0 when click is 0 (conversion implies click)")
                }
            }
            try output.addSplit(writer)
        }
        output.name = "aliexpress-us-sample"
        output.columns = transcoder.columns
        output.notes = """
            AliExpress Searching System Dataset (US), Tianchi dataset 74690; Pengcheng Li et al., \
            Improving Multi-Scenario Learning to Rank in E-commerce by Exploiting Task Relationships in \
            the Label Space, CIKM 2020. Source: torch-rechub (MIT repo, commit 77056e20) \
            examples/ranking/data/aliexpress/aliexpress_{train,test}_sample.csv, byte-for-byte copies in \
            shared/data/aliexpress-sample. Licence: Tianchi terms, unclear; research use with citation. \
            Fixture only (100 + 20 rows, not a uniform sample: click rate ~55%, far above the real data). \
            Changes: splits train/test are the source's files. search_id renamed search, role group (it \
            looks like a search request id; not checked against the original documentation). \
            categorical_1..16 keep their label encoding with identity vocabularies of size largest id \
            over train+test + 1 (torch-rechub's sizing). numerical_1..63 (already normalised to [0, 1]) \
            are dense and copied unchanged. conversion is checked to imply click. No user or item id exists.
            """
    }
}
