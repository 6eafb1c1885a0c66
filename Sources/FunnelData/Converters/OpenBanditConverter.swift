/// Converts the Open Bandit Dataset sample shipped in `obp` (`{random,bts}/{all,men,women}/`).
///
/// Yuta Saito, Shunsuke Aihara, Megumi Matsutani, Yusuke Narita, *Open Bandit Dataset and
/// Pipeline: Towards Realistic and Reproducible Off-Policy Evaluation*, NeurIPS 2021 Datasets
/// and Benchmarks (arXiv 2008.07146).
///
/// Output: one split per behaviour policy, `random` (uniform) and `bts` (Bernoulli Thompson
/// sampling), each holding the three campaigns' logs in turn (`campaign` column). A row is one
/// impression: `item` (campaign-qualified, e.g. `men-14`), `action` (the campaign's own item
/// index), `position` (1–3), label `click`, the logged action probability `propensity` (role
/// `propensity`), the four hashed user features, `affinity_items` (the per-item affinity counts
/// as an id list, each item repeated by its count) and `timestamp` (Unix seconds). Side table
/// `item` holds the item features.
struct OpenBanditConverter {
    let source: String

    static let policies = ["random", "bts"]
    static let campaigns = ["all", "men", "women"]
    /// The largest campaign's item count (the `action` vocabulary).
    static let largestCampaign = 80

    static let columns =
        [
            ColumnSchema(name: "timestamp", kind: .timestamp, role: .metadata),
            ColumnSchema(name: "campaign", kind: .categorical, vocabulary: .built(minimumCount: 1)),
            ColumnSchema(
                name: "item", kind: .categorical, role: .item, vocabulary: .built(minimumCount: 1)),
            ColumnSchema(
                name: "action", kind: .categorical, role: .metadata,
                vocabulary: .identity(size: largestCampaign)),
            ColumnSchema(name: "position", kind: .categorical, vocabulary: .identity(size: 4)),
            ColumnSchema(name: "click", kind: .label),
            ColumnSchema(name: "propensity", kind: .dense, role: .propensity),
        ]
        + (0..<4).map {
            ColumnSchema(
                name: "user_feature_\($0)", kind: .categorical, vocabulary: .built(minimumCount: 1))
        }
        + [
            ColumnSchema(
                name: "affinity_items", kind: .idList, separator: "|", empty: .missing,
                vocabularyOf: "item")
        ]

    func convert(into output: inout ConversionOutput) throws {
        var itemCounts: [String: Int] = [:]
        var items = OpenBanditItemTable()
        for campaign in Self.campaigns {
            itemCounts[campaign] = try items.add(campaign: campaign, source: source)
        }
        for policy in Self.policies {
            var writer = CanonicalTableWriter(name: policy, columns: Self.columns)
            for campaign in Self.campaigns {
                let path = "\(source)/\(policy)/\(campaign)/\(campaign).csv"
                try append(
                    SourceTable(path: path), campaign: campaign, items: itemCounts[campaign]!,
                    to: &writer)
            }
            try output.addSplit(writer)
        }
        try output.addSideTable(items.writer, key: ["item"])
        output.name = "open-bandit-sample"
        output.columns = Self.columns
        output.vocabularySplit = "random"
        output.notes = Self.notes
    }

    private func append(
        _ table: SourceTable, campaign: String, items: Int, to writer: inout CanonicalTableWriter
    ) throws {
        let timestamp = try table.column("timestamp"), item = try table.column("item_id")
        let position = try table.column("position"), click = try table.column("click")
        let propensity = try table.column("propensity_score")
        let userFeatures = try (0..<4).map { try table.column("user_feature_\($0)") }
        let affinities = try (0..<items).map { try table.column("user-item_affinity_\($0)") }
        guard table.header.count == 6 + 4 + items else {
            throw DataError.badValue(
                FileLocation(file: table.path, line: 1), found: "\(table.header.count) columns",
                expected:
                    "\(10 + items): an index, 5 log columns, 4 user features and \(items) affinities"
            )
        }
        try table.forEachRow { row in
            writer.append(try UTCTimestamp.seconds(row, timestamp))
            writer.append(campaign)
            let action = try row.identifier(item)
            guard action < items else {
                throw row.failure(item, expected: "an item id in 0..<\(items)")
            }
            writer.append("\(campaign)-\(action)")
            writer.append(action)
            let slot = try row.integer(position)
            guard (1...3).contains(slot) else {
                throw row.failure(position, expected: "a position in 1...3")
            }
            writer.append(slot)
            let clicked = try row.integer(click)
            guard clicked == 0 || clicked == 1 else { throw row.failure(click, expected: "0 or 1") }
            writer.append(clicked)
            let probability = try row.double(propensity)
            guard probability > 0 && probability <= 1 else {
                throw row.failure(propensity, expected: "a probability in (0, 1]")
            }
            writer.append(row, propensity)
            for feature in userFeatures {
                guard !row.isEmpty(feature) else {
                    throw row.failure(feature, expected: "a hashed user feature")
                }
                writer.append(row, feature)
            }
            var history: [String] = []
            for (index, column) in affinities.enumerated() where !row.equals(column, "0.0") {
                let count = try row.double(column)
                guard count >= 0, count == count.rounded(), count <= 1_000 else {
                    throw row.failure(column, expected: "a whole affinity count in 0...1000")
                }
                history += repeatElement("\(campaign)-\(index)", count: Int(count))
            }
            writer.append(history.joined(separator: "|"))
            writer.endRow()
        }
    }

    static let notes = """
        Open Bandit Dataset (ZOZOTOWN), small sample; Yuta Saito et al., Open Bandit Dataset and \
        Pipeline, NeurIPS 2021 Datasets and Benchmarks (arXiv 2008.07146). Source: PyPI obp==0.5.7 sdist \
        obp/dataset/obd/{random,bts}/{all,men,women}/, byte-for-byte in shared/data/open-bandit-dataset. \
        Licence: obp is Apache-2.0; the dataset is usually given as CC BY 4.0 (licence text not checked); \
        cite the paper. \
        Changes: split = behaviour policy (random = uniform, bts = Bernoulli Thompson sampling), each the \
        concatenation of the all, men and women campaign logs in that order (campaign column), rows in file \
        order. Vocabularies are built from random (the uniform log; 2 bts rows hold a user_feature_3 \
        value random never shows and get the reserved id 0, counted by the loader). The unnamed \
        pandas index is dropped. timestamp = Unix seconds (UTC), sub-second part dropped (files are in time \
        order). Items are per campaign (ids do not match across campaigns), so item = campaign-itemid \
        (e.g. men-14, role item) and action = the campaign's own item index (obp's action). position 1-3 \
        (left, centre, right; id 0 unused). propensity_score renamed propensity (role propensity): the \
        logged probability that the behaviour policy showed this item at this position. The \
        user-item_affinity_0..n-1 columns (whole counts 0-15, one per campaign item, different widths per \
        campaign) became the id list affinity_items: each item repeated by its count, so sum pooling \
        gives back the counts. The 3 rows of one slate are not linked in the source (no slate id). \
        Side table item (keyed by item): item_feature_0 (dense) and item_feature_1..3 (hashed categories) \
        from random/{campaign}/item_context.csv; the bts copies were checked to hold the same items and \
        item_feature_0 and a one-to-one relabelling of the hashed values, so one table serves both policies.
        """
}
