import Foundation

/// True next-item probabilities of a split's rows, for ranking metrics against ground truth:
/// a `[rows, items]` matrix of Float32 (row r is the distribution of row r's target step over
/// item ids 0 ..< items), memory-mapped from the file named in the schema's `rankingTruth`.
public struct RankingTruth: Sendable {
    /// The split's rows.
    public let rows: Int
    /// The target vocabulary's size (item ids, padding id 0 included).
    public let items: Int
    private let file: MappedFile

    /// Maps `path` and checks that it holds exactly `rows × items` Float32 values.
    /// - Throws: ``DataError/unreadable(path:reason:)`` naming the file and both sizes when it
    ///   does not.
    init(path: String, rows: Int, items: Int) throws {
        file = try MappedFile(path: path)
        let expected = rows * items * MemoryLayout<Float>.size
        guard file.bytes.count == expected else {
            throw DataError.unreadable(
                path: path,
                reason: "holds \(file.bytes.count) bytes; expected \(expected) (\(rows) rows × \(items) items × 4 bytes "
                    + "of Float32: one row per row of the split, one value per id of the target vocabulary)")
        }
        self.rows = rows
        self.items = items
    }

    /// The true probabilities of row `index`, `[items]`.
    public func row(_ index: Int) -> [Float] {
        precondition((0..<rows).contains(index), "Funnel: truth row \(index) outside 0..<\(rows)")
        let start = index * items * MemoryLayout<Float>.size
        return (0..<items).map { item in
            Float(bitPattern: UInt32(littleEndian: file.bytes.loadUnaligned(
                fromByteOffset: start + item * MemoryLayout<Float>.size, as: UInt32.self)))
        }
    }

    /// Writes `values` (`[rows, items]` row-major) as raw little-endian Float32 to `path`,
    /// through a temporary file and a rename.
    static func write(_ values: [Float], to path: String) throws {
        var data = Data(capacity: values.count * MemoryLayout<Float>.size)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try AtomicFile.write(data, to: path)
    }
}

extension Dataset {
    /// The ranking truth of a split, or `nil` when the schema names none for it.
    ///
    /// Its size is checked against the split's rows times the target vocabulary's size (the
    /// column named `target`, else the first column of role item).
    public func rankingTruth(split name: String) throws -> RankingTruth? {
        guard let file = schema.rankingTruth?[name] else { return nil }
        let table = try split(name)
        guard let target = schema.column(named: "target") ?? schema.columns.first(where: { $0.role == .item }),
            let vocabulary = vocabulary(for: target.name)
        else {
            throw DataError.missingRequirement(
                dataset: schema.name, column: "target",
                reason: "ranking truth needs a target (or item) column with a vocabulary: its size is the truth's width")
        }
        return try RankingTruth(path: directory + "/" + file, rows: table.rowCount, items: vocabulary.size)
    }
}
