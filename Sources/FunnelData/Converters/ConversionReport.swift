/// What a conversion wrote: per split and side table, the rows and the positives of every label.
///
/// The counts are taken from the values as they were written, with the rule
/// ``DatasetSummary`` uses (a label is positive when its value is above 0), so the two agree.
public struct ConversionReport: Codable, Sendable, Equatable {
    /// One label of one table.
    public struct LabelCount: Codable, Sendable, Equatable {
        /// The label column.
        public var name: String
        /// Rows whose value is above 0.
        public var positives: Int
        /// Rows whose value is empty (missing).
        public var missing: Int
        /// `positives / rows` (0 for an empty table).
        public var rate: Double
    }

    /// One split or side table.
    public struct TableCount: Codable, Sendable, Equatable {
        /// The split's or side table's name.
        public var name: String
        /// Its file, relative to the output folder.
        public var file: String
        /// Data rows (the header excluded).
        public var rows: Int
        /// Its label columns, in column order.
        public var labels: [LabelCount]

        /// The count of the label with the given name.
        public func label(_ name: String) -> LabelCount? {
            labels.first { $0.name == name }
        }
    }

    /// The source format.
    public var format: DatasetFormat
    /// The source folder.
    public var source: String
    /// The canonical folder written.
    public var output: String
    /// The splits, in the order the converter wrote them.
    public var splits: [TableCount]
    /// The side tables.
    public var sideTables: [TableCount]
    /// The schema's notes: source, licence and the decisions taken.
    public var notes: String

    /// The split with the given name.
    public func split(_ name: String) -> TableCount? {
        splits.first { $0.name == name }
    }

    /// A plain-text rendering for a terminal.
    public var text: String {
        var lines = ["\(format.rawValue): \(source) -> \(output)"]
        func describe(_ table: TableCount, kind: String) {
            var line = "  \(kind) \(table.name) (\(table.file)): \(table.rows) rows"
            for label in table.labels {
                let percent = (label.rate * 1_000_000).rounded() / 10_000
                line += ", \(label.name) \(label.positives) (\(percent)%)"
                if label.missing > 0 { line += " missing \(label.missing)" }
            }
            lines.append(line)
        }
        for table in splits { describe(table, kind: "split") }
        for table in sideTables { describe(table, kind: "side table") }
        return lines.joined(separator: "\n")
    }
}
