/// Converts torch-rechub's processed Ali-CCP sample (`ali_ccp_{train,val,test}_sample.csv`).
///
/// Ali-CCP: Xiao Ma et al., *Entire Space Multi-Task Model: An Effective Approach for
/// Estimating Post-Click Conversion Rate*, SIGIR 2018 (arXiv 1804.07931), Tianchi dataset 408.
///
/// Output: splits `train`, `validation`, `test` (the source's own), labels `click` and
/// `conversion` (the source's `purchase`, which is already click ∧ purchase), the 23 sparse
/// fields as categorical columns named in words (`user` for field 101, `item` for 205, …) and
/// the 8 dense weights. Ids keep torch-rechub's encoding (0 = rare or unknown, which is also
/// Funnel's reserved id), with identity vocabularies of size `largest id + 1` over all splits.
struct AliCCPConverter {
    let source: String

    /// The sparse fields: Ali-CCP field id, canonical name, role.
    static let sparseFields: [(field: String, name: String, role: ColumnSchema.Role)] = [
        ("101", "user", .user),
        ("121", "user_category", .feature),
        ("122", "user_category_group", .feature),
        ("124", "user_gender", .feature),
        ("125", "user_age", .feature),
        ("126", "user_consumption_level_1", .feature),
        ("127", "user_consumption_level_2", .feature),
        ("128", "user_occupation", .feature),
        ("129", "user_geography", .feature),
        ("205", "item", .item),
        ("206", "item_category", .feature),
        ("207", "item_shop", .feature),
        ("210", "item_intention", .feature),
        ("216", "item_brand", .feature),
        ("508", "user_item_category", .feature),
        ("509", "user_item_shop", .feature),
        ("702", "user_item_brand", .feature),
        ("853", "user_item_intention", .feature),
        ("301", "position", .feature),
        ("109_14", "history_category", .feature),
        ("110_14", "history_shop", .feature),
        ("127_14", "history_brand", .feature),
        ("150_14", "history_intention", .feature),
    ]

    /// The dense fields: source name, canonical name.
    static let denseFields: [(field: String, name: String)] = [
        ("D109_14", "history_category_weight"),
        ("D110_14", "history_shop_weight"),
        ("D127_14", "history_brand_weight"),
        ("D150_14", "history_intention_weight"),
        ("D508", "user_item_category_weight"),
        ("D509", "user_item_shop_weight"),
        ("D702", "user_item_brand_weight"),
        ("D853", "user_item_intention_weight"),
    ]

    static let splits = [
        ("train", "ali_ccp_train_sample.csv"), ("validation", "ali_ccp_val_sample.csv"),
        ("test", "ali_ccp_test_sample.csv"),
    ]

    func convert(into output: inout ConversionOutput) throws {
        var transcoder = TableTranscoder(
            [.label("click", as: "click"), .label("purchase", as: "conversion")]
                + Self.sparseFields.map { .encoded($0.field, as: $0.name, role: $0.role) }
                + Self.denseFields.map { .dense($0.field, as: $0.name) })
        for (split, file) in Self.splits {
            let table = try SourceTable(path: output.sourcePath(file))
            let writer = try transcoder.transcode(table, name: split) { row, positions in
                // Entire-space labels: a purchase without a click cannot be modelled.
                if try row.double(positions[1]) > 0, try row.double(positions[0]) <= 0 {
                    throw row.failure(
                        positions[1], expected: "0 when click is 0 (purchase implies click)")
                }
            }
            try output.addSplit(writer)
        }
        output.name = "ali-ccp-sample"
        output.columns = transcoder.columns
        output.notes = Self.notes
    }

    static var notes: String {
        let fields =
            sparseFields.map { "\($0.field)→\($0.name)" }
            + denseFields.map { "\($0.field)→\($0.name)" }
        return """
            Ali-CCP (Alibaba Click and Conversion Prediction), Tianchi dataset 408; Xiao Ma et al., \
            Entire Space Multi-Task Model, SIGIR 2018 (arXiv 1804.07931). Source: torch-rechub \
            (MIT repo, commit 3fee06ec) examples/ranking/data/ali-ccp/ali_ccp_{train,val,test}_sample.csv, \
            byte-for-byte copies in shared/data/ali-ccp-sample. Licence: Tianchi terms, unclear; research \
            use with citation. Fixture only (100/50/50 rows). \
            Changes: splits train/validation/test are the source's train/val/test files (val renamed). \
            Label purchase renamed conversion; it is already click∧purchase (rows with click=0 and \
            purchase=1 were dropped upstream; the converter checks purchase implies click). \
            Columns renamed from Ali-CCP field ids: \(fields.joined(separator: ", ")). \
            Sparse ids keep torch-rechub's label encoding (values seen fewer than 10 times in its full \
            train split are 0, which is also Funnel's reserved id); each has an identity vocabulary of \
            size largest id over train+validation+test + 1, as torch-rechub sizes its embeddings. \
            Multi-valued fields keep one id per row, as in the source. Dense weights copied unchanged.
            """
    }
}
