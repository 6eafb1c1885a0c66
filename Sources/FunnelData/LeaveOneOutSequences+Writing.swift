import Foundation

extension LeaveOneOutSequences {
    /// The keys of the columns written, as a model asks for them.
    public enum ColumnName {
        public static let user = "user"
        public static let items = "items"
        public static let times = "times"
        public static let target = "target"
        public static let targetTime = "target_time"
        public static let interacted = "interacted"
    }

    /// A one-row sequence dataset in memory with a catalogue of `itemCount` items (ids
    /// 1 ... N, 0 reserved) and the writer's `items` and `target` columns: what a sequential model
    /// reads its catalogue from where batches are built by hand (benchmarks, tests).
    public static func catalogue(itemCount: Int, name: String = "catalogue") throws -> Dataset {
        let target = ColumnSchema(
            name: ColumnName.target, kind: .categorical, role: .item, vocabulary: .identity(size: itemCount + 1))
        let items = ColumnSchema(name: ColumnName.items, kind: .idList, separator: "|", vocabularyOf: ColumnName.target)
        let schema = DatasetSchema(
            name: name, tables: ["train": TableFile(file: "train.csv")], columns: [items, target], storage: .binary)
        let table = Table(
            name: "train", rowCount: 1,
            columns: [
                Column(schema: items, values: .lists(ids: ColumnBuffer([1]), offsets: ColumnBuffer([0, 1]))),
                Column(schema: target, values: .ids(ColumnBuffer([2]))),
            ])
        return try Dataset.inMemory(directory: name, schema: schema, splits: ["train": table])
    }

    /// The user column's vocabulary: the keys themselves as identity ids when every key lies in
    /// `0 ..< max(2 × users, 65,536)`; otherwise (a negative key, or keys so sparse that an
    /// embedding table would be mostly unused rows) a vocabulary built from train.
    static func userVocabulary(_ users: [UserSequence]) -> Vocabulary {
        let largest = users.map(\.user).max() ?? 0
        let smallest = users.map(\.user).min() ?? 0
        let limit = Int64(Swift.max(2 * users.count, 1 << 16))
        return smallest >= 0 && largest < limit ? .identity(size: Int(largest) + 1) : .built(minimumCount: 1)
    }

    /// The columns of every split (see ``LeaveOneOutSequences``).
    public var columns: [ColumnSchema] {
        let items = Vocabulary.identity(size: itemCount + 1)
        return [
            ColumnSchema(name: ColumnName.user, kind: .categorical, role: .user, vocabulary: Self.userVocabulary(users)),
            ColumnSchema(
                name: ColumnName.items, kind: .idList, separator: "|", empty: .missing, vocabularyOf: ColumnName.target),
            ColumnSchema(name: ColumnName.times, kind: .timestampList, separator: "|", empty: .missing),
            ColumnSchema(name: ColumnName.target, kind: .categorical, role: .item, vocabulary: items),
            ColumnSchema(name: ColumnName.targetTime, kind: .timestamp, role: .metadata),
            ColumnSchema(
                name: ColumnName.interacted, kind: .idList, role: .metadata, separator: "|", empty: .missing,
                vocabularyOf: ColumnName.target),
        ]
    }

    /// Writes the canonical dataset folder: `train.csv`, `validation.csv`, `test.csv`,
    /// `items.csv` (`id,raw`: the raw key of every item id), the ranking truth files, and
    /// `schema.json` last, all staged beside `directory` and moved in once complete; then
    /// compiles the binary cache (which checks the folder loads) and returns the dataset.
    /// - Parameters:
    ///   - directory: the folder; created if needed, files of the same names replaced.
    ///   - name: the dataset's name.
    ///   - source: where the log came from, for the notes.
    ///   - rankingTruth: per split name, true next-item probabilities `[rows of the split,
    ///     N + 1]` row-major (rows in ``rows(_:)`` order), written as `truth-<split>.f32`.
    /// - Throws: ``DataError/invalidSchema(path:reason:)`` for truth of an unknown split or of
    ///   the wrong size, and any error of writing or compiling.
    @discardableResult
    public func write(
        to directory: String, name: String = "sequences", source: String? = nil, rankingTruth: [String: [Float]] = [:]
    ) throws -> Dataset {
        let columns = columns
        var truthFiles: [String: String] = [:]
        for (split, values) in rankingTruth.sorted(by: { $0.key < $1.key }) {
            let file = "truth-\(split).f32"
            guard let known = Split(rawValue: split) else {
                throw DataError.invalidSchema(
                    path: directory + "/" + file, reason: "ranking truth for split '\(split)', which is not train, validation or test")
            }
            let expected = rows(known).count * (itemCount + 1)
            guard values.count == expected else {
                throw DataError.invalidSchema(
                    path: directory + "/" + file,
                    reason: "ranking truth of \(values.count) values; expected \(expected) "
                        + "(\(rows(known).count) rows × \(itemCount + 1) item ids)")
            }
            truthFiles[split] = file
        }
        let schema = DatasetSchema(
            name: name, tables: Dictionary(uniqueKeysWithValues: Split.allCases.map { ($0.rawValue, TableFile(file: $0.rawValue + ".csv")) }),
            columns: columns, notes: notes(source: source), rankingTruth: truthFiles.isEmpty ? nil : truthFiles)
        try schema.validate(path: directory + "/schema.json")
        try DatasetConverter.staged(output: directory) { staging in
            for split in Split.allCases {
                var writer = CanonicalTableWriter(name: split.rawValue, columns: columns)
                for row in rows(split) {
                    writer.append(row.user)
                    writer.append(row.items.map(String.init).joined(separator: "|"))
                    writer.append(row.times.map(String.init).joined(separator: "|"))
                    writer.append(Int64(row.target))
                    writer.append(row.targetTime)
                    writer.append(row.interacted.map(String.init).joined(separator: "|"))
                    writer.endRow()
                }
                try writer.write(to: staging + "/" + writer.file)
            }
            var items = "id,raw\n"
            for id in 1..<itemKeys.count { items += "\(id),\(itemKeys[id])\n" }
            try AtomicFile.write(Data(items.utf8), to: staging + "/items.csv")
            for (split, file) in truthFiles { try RankingTruth.write(rankingTruth[split]!, to: staging + "/" + file) }
            try schema.write(directory: staging)
        }
        return try Dataset.compile(directory)
    }

    private func notes(source: String?) -> String {
        let userRule: String
        if case .identity(let size) = Self.userVocabulary(users) {
            userRule = "user: the raw user key as an identity id (0..<\(size))"
        } else {
            userRule = "user: a vocabulary built from train over the user keys (some are negative or too large "
                + "for identity ids); a user without a train row maps to the reserved id 0, and the column keeps "
                + "each key's hash, distinct per user"
        }
        let itemRule: String
        if case .identity = itemIDs {
            itemRule = "items are the raw keys as given (itemIDs identity)"
        } else {
            itemRule = "item ids 1...\(itemCount) in order of first appearance over the time-sorted log, user by user"
        }
        return """
            Leave-one-out sequences\(source.map { " of \($0)" } ?? ""). Per user, interactions sorted by time \
            (stable: ties keep input order). Users with at least \(minimumInteractions) interactions: last item = \
            test target, second to last = validation target, the rest = training sequence s_1..s_m; users with \
            fewer go entirely to train and are not evaluated. Rows (one per user and split, users in order of \
            first appearance): train items s_1..s_{m-1} -> target s_m (position-wise targets are items shifted \
            by one plus target); validation items s_1..s_m -> second to last; test items s_1..s_m + the \
            validation item -> last. A training sequence shorter than 2 gives no train row. times: the input \
            items' times; target_time: the target's; interacted: every distinct item of the user over the whole \
            log (train + validation + test), for history masking at evaluation. \(itemRule); 0 is never an item \
            (padding); items.csv maps id -> raw key. \(userRule). \
            Counts: \(report.text.replacingOccurrences(of: "\n", with: "; ")).
            """
    }
}
