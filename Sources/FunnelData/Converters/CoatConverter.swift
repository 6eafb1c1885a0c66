import Foundation

/// Converts Coat (the authors' `coat.zip` layout): rating matrices, learned propensities and
/// one-hot user and item features.
///
/// Tobias Schnabel, Adith Swaminathan, Ashudeep Singh, Navin Chandak, Thorsten Joachims,
/// *Recommendations as Treatments: Debiasing Learning and Evaluation*, ICML 2016.
///
/// Output: split `train` (the 6,960 self-selected, missing-not-at-random ratings) and split
/// `test` (the 4,640 ratings of uniformly random items), one row per rated (user, item) cell in
/// user-then-item order, with labels `rating` (1–5) and `liked` (rating ≥ 4), and the cell's
/// learned propensity (role `propensity`). Side tables `user` and `item` hold the one-hot
/// features as one categorical column per group (`user_age`, `item_color`, …).
struct CoatConverter {
    let source: String

    static let users = 290
    static let items = 300
    /// Feature groups of the map files, renamed in full words.
    static let groupNames = [
        "gender": "gender", "age": "age", "location": "location",
        "fashioninterest": "fashion_interest",
        "jackettype": "jacket_type", "color": "color", "onfrontpage": "on_front_page",
    ]

    func convert(into output: inout ConversionOutput) throws {
        let propensities = try matrix("propensities.ascii") { row, index in
            let propensity = try row.double(index)
            // IPS divides by it: 0, negative, above 1 or NaN is refused where it stands.
            guard propensity > 0, propensity <= 1 else {
                throw row.failure(index, expected: "a propensity in (0, 1]")
            }
            return propensity
        }
        let user = ColumnSchema(
            name: "user", kind: .categorical, role: .user, vocabulary: .identity(size: Self.users))
        let item = ColumnSchema(
            name: "item", kind: .categorical, role: .item, vocabulary: .identity(size: Self.items))
        let columns = [
            user, item, ColumnSchema(name: "rating", kind: .label),
            ColumnSchema(name: "liked", kind: .label),
            ColumnSchema(name: "propensity", kind: .dense, role: .propensity),
        ]
        for split in ["train", "test"] {
            let ratings = try matrix(split + ".ascii") { row, index in
                let rating = try row.integer(index)
                guard (0...5).contains(rating) else {
                    throw row.failure(index, expected: "a rating in 0...5 (0 = not rated)")
                }
                return Double(rating)
            }
            var writer = CanonicalTableWriter(name: split, columns: columns)
            for cell in ratings.indices where ratings[cell] > 0 {
                writer.append(Int64(cell / Self.items))
                writer.append(Int64(cell % Self.items))
                writer.append(ratings[cell])
                writer.append(ratings[cell] >= 4 ? 1.0 : 0.0)
                writer.append(propensities[cell])
                writer.endRow()
            }
            try output.addSplit(writer)
        }
        try output.addSideTable(
            features(of: user, count: Self.users, file: "user_features"), key: ["user"])
        try output.addSideTable(
            features(of: item, count: Self.items, file: "item_features"), key: ["item"])
        output.name = "coat"
        output.columns = columns
        output.notes = Self.notes
    }

    /// Reads a users × items matrix of space-separated values, row-major.
    private func matrix(_ file: String, value: (SourceRow, Int) throws -> Double) throws -> [Double]
    {
        let table = try SourceTable(path: source + "/" + file, delimiter: " ", columns: Self.items)
        var values: [Double] = []
        values.reserveCapacity(Self.users * Self.items)
        var rows = 0
        try table.forEachRow { row in
            rows += 1
            guard rows <= Self.users else {
                throw DataError.badValue(
                    FileLocation(file: table.path, line: row.line), found: "row \(rows)",
                    expected: "\(Self.users) rows (one per user)")
            }
            for index in 0..<Self.items { values.append(try value(row, index)) }
        }
        guard rows == Self.users else {
            throw DataError.unreadable(
                path: table.path, reason: "\(rows) rows, expected \(Self.users) (one per user)")
        }
        return values
    }

    /// Turns a one-hot feature matrix into one categorical column per group, named from the
    /// map file (`group:value` per matrix column).
    private func features(of key: ColumnSchema, count: Int, file: String) throws
        -> CanonicalTableWriter
    {
        let mapPath = source + "/user_item_features/\(file)_map.txt"
        let names: [(group: String, value: String)]
        do {
            names = try String(contentsOfFile: mapPath, encoding: .utf8).split(
                whereSeparator: \.isNewline
            ).map { line in
                let parts = line.split(separator: ":", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
        } catch {
            throw DataError.unreadable(path: mapPath, reason: error.localizedDescription)
        }
        var groups: [String] = []
        for name in names where !groups.contains(name.group) { groups.append(name.group) }
        let columns =
            [key]
            + groups.map { group in
                ColumnSchema(
                    name: key.name + "_" + (Self.groupNames[group] ?? group), kind: .categorical,
                    vocabulary: .built(minimumCount: 1))
            }
        let table = try SourceTable(
            path: source + "/user_item_features/\(file).ascii", delimiter: " ", columns: names.count
        )
        var writer = CanonicalTableWriter(name: key.name, columns: columns)
        try table.forEachRow { row in
            guard writer.rowCount < count else {
                throw DataError.badValue(
                    FileLocation(file: table.path, line: row.line), found: "another row",
                    expected: "\(count) rows")
            }
            writer.append(Int64(writer.rowCount))
            for group in groups {
                var chosen: Int?
                for index in names.indices where names[index].group == group {
                    let flag = try row.integer(index)
                    guard flag == 0 || flag == 1, flag == 0 || chosen == nil else {
                        throw row.failure(
                            index, expected: "0 or 1, with exactly one 1 per group '\(group)'")
                    }
                    if flag == 1 { chosen = index }
                }
                guard let chosen else {
                    throw DataError.badValue(
                        row.location(names.firstIndex { $0.group == group }!), found: "no 1",
                        expected: "exactly one 1 in group '\(group)'")
                }
                writer.append(names[chosen].value)
            }
            writer.endRow()
        }
        guard writer.rowCount == count else {
            throw DataError.unreadable(
                path: table.path, reason: "\(writer.rowCount) rows, expected \(count)")
        }
        return writer
    }

    static let notes = """
        Coat; Tobias Schnabel et al., Recommendations as Treatments: Debiasing Learning and \
        Evaluation, ICML 2016. Source: the authors' coat.zip layout as kept in GitHub \
        CrazyDumpling/CDR_CIKM2023 data/coat (commit 6b4e6cca), byte-for-byte in shared/data/coat. \
        Licence: none stated; public for research, cite the paper. \
        Changes: the 290x300 matrices became one row per rated cell (0 = not rated is dropped), in \
        user-then-item order; split train = train.ascii (24 self-selected, MNAR ratings per user), \
        split test = test.ascii (16 uniformly random items per user); 366 cells are rated in both. \
        user and item are the matrix row and column (0-based, identity vocabularies 290 and 300). \
        Labels: rating (1-5, unchanged) and liked = rating >= 4 (the usual binarisation, derived). \
        propensity (role propensity) is the cell's value in propensities.ascii: P(observed in the MNAR \
        train log) as estimated by the authors, not logged; test rows carry the same cell's train \
        propensity, while their own exposure is uniform (16/300). Side tables user and item (keyed by \
        user, item) turn the one-hot features into one categorical column per group named from the map \
        files (user_gender, user_age, user_location, user_fashion_interest; item_gender, \
        item_jacket_type, item_color, item_on_front_page), values as written there (e.g. '20-30').
        """
}
