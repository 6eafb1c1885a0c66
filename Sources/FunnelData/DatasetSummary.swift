/// What `funnel data inspect` prints: rows, label rates, per-column statistics and vocabulary
/// sizes of every split and side table.
public struct DatasetSummary: Codable, Sendable {
    public struct ColumnStatistics: Codable, Sendable {
        public var name: String
        public var kind: String
        public var role: String
        /// Dense, label, timestamp and timestamp-list columns: over the non-missing values (every
        /// element of a list).
        public var minimum: Double?
        public var maximum: Double?
        public var mean: Double?
        /// Values that are NaN (dense, label) or missing (timestamp).
        public var missing: Int?
        /// Labels: the share of rows with a positive value.
        public var positiveRate: Double?
        /// Categorical and id-list columns: the vocabulary's size (id 0 included), the distinct
        /// ids present and the share of values that are the reserved id 0.
        public var vocabularySize: Int?
        public var distinctIDs: Int?
        public var reservedIDShare: Double?
        /// Id lists and timestamp lists: the mean and maximum length.
        public var meanLength: Double?
        public var maximumLength: Int?
    }

    public struct TableStatistics: Codable, Sendable {
        public var name: String
        public var rows: Int
        public var columns: [ColumnStatistics]
        /// Side tables joined onto this table: the share of rows that found their key.
        public var joinCoverage: [String: Double]
    }

    public var dataset: String
    public var loadedFromCache: Bool
    public var tables: [TableStatistics]
    public var reports: [LoadReport]
    /// What the load noted (for example a cache that could not be written).
    public var notes: [String]

    public init(_ dataset: Dataset) {
        self.dataset = dataset.schema.name
        loadedFromCache = dataset.loadedFromCache
        reports = dataset.reports
        notes = dataset.notes
        let ordered = dataset.splits.values.sorted { $0.name < $1.name } + dataset.sideTables.values.sorted { $0.name < $1.name }
        tables = ordered.map { table in
            TableStatistics(
                name: table.name, rows: table.rowCount,
                columns: table.columns.map { Self.statistics($0, rows: table.rowCount, dataset: dataset) },
                joinCoverage: table.joins.mapValues { rows in
                    table.rowCount == 0 ? 0 : Double(rows.buffer.filter { $0 >= 0 }.count) / Double(table.rowCount)
                })
        }
    }

    private static func statistics(_ column: Column, rows: Int, dataset: Dataset) -> ColumnStatistics {
        var result = ColumnStatistics(name: column.schema.name, kind: column.schema.kind.rawValue, role: column.schema.role.rawValue)
        switch column.values {
        case .floats(let values):
            var minimum = Double.infinity, maximum = -Double.infinity, sum = 0.0, count = 0, positive = 0
            for value in values.buffer where !value.isNaN {
                let number = Double(value)
                minimum = Swift.min(minimum, number)
                maximum = Swift.max(maximum, number)
                sum += number
                count += 1
                if value > 0 { positive += 1 }
            }
            result.missing = values.count - count
            if count > 0 { (result.minimum, result.maximum, result.mean) = (minimum, maximum, sum / Double(count)) }
            if column.schema.kind == .label && rows > 0 { result.positiveRate = Double(positive) / Double(rows) }
        case .integers(let values):
            describe(values.buffer, into: &result)
        case .ids(let ids):
            describe(ids.buffer, column: column.schema.name, dataset: dataset, into: &result)
        case .lists(let ids, let offsets):
            describe(ids.buffer, column: column.schema.name, dataset: dataset, into: &result)
            var longest = 0
            for row in 0..<rows { longest = Swift.max(longest, Int(offsets[row + 1] - offsets[row])) }
            result.maximumLength = longest
            result.meanLength = rows == 0 ? 0 : Double(ids.count) / Double(rows)
        case .timestampLists(let values, let offsets):
            describe(values.buffer, into: &result)
            var longest = 0
            for row in 0..<rows { longest = Swift.max(longest, Int(offsets[row + 1] - offsets[row])) }
            result.maximumLength = longest
            result.meanLength = rows == 0 ? 0 : Double(values.count) / Double(rows)
        }
        return result
    }

    private static func describe(_ values: UnsafeBufferPointer<Int64>, into result: inout ColumnStatistics) {
        let present = values.filter { $0 != .min }
        result.missing = values.count - present.count
        if let minimum = present.min(), let maximum = present.max() {
            result.minimum = Double(minimum)
            result.maximum = Double(maximum)
            result.mean = present.reduce(0.0) { $0 + Double($1) } / Double(present.count)
        }
    }

    private static func describe(
        _ ids: UnsafeBufferPointer<Int32>, column: String, dataset: Dataset, into result: inout ColumnStatistics
    ) {
        let vocabulary = dataset.vocabulary(for: column)
        let size = vocabulary?.size ?? 0
        result.vocabularySize = size
        var seen = [Bool](repeating: false, count: Swift.max(size, 1))
        var distinct = 0, reserved = 0
        for id in ids {
            if id == 0 { reserved += 1 }
            if Int(id) < seen.count, !seen[Int(id)] {
                seen[Int(id)] = true
                distinct += 1
            }
        }
        result.distinctIDs = distinct
        // Identity vocabularies reserve nothing: their id 0 is a real value.
        if case .identity = vocabulary?.kind { return }
        result.reservedIDShare = ids.isEmpty ? 0 : Double(reserved) / Double(ids.count)
    }

    /// A plain-text rendering for a terminal.
    public var text: String {
        var lines = ["dataset \(dataset)\(loadedFromCache ? " (from the binary cache)" : "")"]
        for report in reports { lines.append("  load: " + report.summary) }
        for note in notes { lines.append("  note: " + note) }
        for table in tables {
            lines.append("")
            lines.append("\(table.name): \(table.rows) rows")
            for (side, coverage) in table.joinCoverage.sorted(by: { $0.key < $1.key }) {
                lines.append("  joined '\(side)': \(percent(coverage)) of rows found their key")
            }
            for column in table.columns {
                var parts = ["  \(column.name)".padded(to: 22), column.kind.padded(to: 12), column.role.padded(to: 11)]
                if let rate = column.positiveRate { parts.append("positive \(percent(rate))") }
                if let mean = column.mean, let minimum = column.minimum, let maximum = column.maximum {
                    parts.append("mean \(format(mean)) min \(format(minimum)) max \(format(maximum))")
                }
                if let missing = column.missing, missing > 0 { parts.append("missing \(missing)") }
                if let size = column.vocabularySize, let distinct = column.distinctIDs {
                    parts.append("vocabulary \(size), distinct \(distinct)")
                    if let share = column.reservedIDShare { parts.append("out-of-vocabulary \(percent(share))") }
                }
                if let mean = column.meanLength, let longest = column.maximumLength {
                    parts.append("length mean \(format(mean)) max \(longest)")
                }
                lines.append(parts.joined(separator: " "))
            }
        }
        return lines.joined(separator: "\n")
    }

    private func percent(_ value: Double) -> String { format(value * 100) + "%" }

    private func format(_ value: Double) -> String {
        let rounded = (value * 10_000).rounded() / 10_000
        return rounded == rounded.rounded() && Swift.abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
    }
}

extension String {
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
