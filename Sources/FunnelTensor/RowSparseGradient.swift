import CFunnelKernels

/// The gradient of an embedding table as rows: `values[i]` is the gradient of row `rows[i]`.
///
/// A recommendation model's tables dwarf its dense layers, and a batch touches a few thousand
/// of their rows; a dense gradient the size of the table would cost more than the whole model.
/// Lookups append here in the backward pass; optimizers coalesce and update only these rows.
public final class RowSparseGradient {
    /// The width of a row (the embedding dimension).
    public let width: Int
    /// The touched rows, possibly repeated, in the order lookups met them.
    public private(set) var rows: [Int32] = []
    /// `rows.count × width` values.
    public private(set) var values: [Float] = []

    public init(width: Int) {
        self.width = width
    }

    /// Adds gradient rows for `rows` (`rows.count × width` values).
    func append(rows newRows: [Int32], values source: UnsafePointer<Float>) {
        rows.append(contentsOf: newRows)
        values.append(contentsOf: UnsafeBufferPointer(start: source, count: newRows.count * width))
    }

    /// The distinct rows in increasing order, each with the sum of its gradients (summed in
    /// lookup order, so the sums do not depend on anything but the lookups).
    public func coalesced() -> (rows: [Int32], values: [Float]) {
        guard !rows.isEmpty else { return ([], []) }
        let order = Self.stableOrder(of: rows)
        let width = self.width
        var uniqueRows = [Int32](repeating: 0, count: rows.count)
        var uniqueCount = 0
        // Each distinct row's first gradient is copied and the later ones added: no zeroed
        // buffer the size of every lookup.
        let sums = [Float](unsafeUninitializedCapacity: rows.count * width) { sums, initialized in
            rows.withUnsafeBufferPointer { rows in
                values.withUnsafeBufferPointer { source in
                    uniqueRows.withUnsafeMutableBufferPointer { unique in
                        var slot = -1
                        var previous: Int32 = -1
                        for position in order {
                            let from = source.baseAddress! + Int(position) * width
                            let row = rows[Int(position)]
                            if row != previous {
                                slot += 1
                                unique[slot] = row
                                previous = row
                                (sums.baseAddress! + slot * width).initialize(from: from, count: width)
                            } else {
                                let to = sums.baseAddress! + slot * width
                                for column in 0..<width { to[column] += from[column] }
                            }
                        }
                        uniqueCount = slot + 1
                    }
                }
            }
            initialized = uniqueCount * width
        }
        uniqueRows.removeLast(rows.count - uniqueCount)
        return (uniqueRows, sums)
    }

    /// The positions of `rows` ordered by row, equal rows in position order: a least-significant
    /// digit radix sort on 11-bit digits, as many passes as the largest row needs (two for a
    /// table of up to four million rows) — linear, where a comparison sort was the step's
    /// third-largest cost.
    static func stableOrder(of rows: [Int32]) -> [Int32] {
        let largest = UInt32(bitPattern: rows.max() ?? 0)
        let digitBits = 11
        let buckets = 1 << digitBits
        var order = [Int32](unsafeUninitializedCapacity: rows.count) { buffer, count in
            for position in 0..<rows.count { buffer[position] = Int32(position) }
            count = rows.count
        }
        var scratch = order
        var shift = 0
        var counts = [Int](repeating: 0, count: buckets)
        repeat {
            rows.withUnsafeBufferPointer { rows in
                counts.withUnsafeMutableBufferPointer { counts in
                    for index in 0..<buckets { counts[index] = 0 }
                    for row in rows { counts[Int((UInt32(bitPattern: row) >> UInt32(shift)) & UInt32(buckets - 1))] += 1 }
                    var total = 0
                    for index in 0..<buckets { (counts[index], total) = (total, total + counts[index]) }
                    order.withUnsafeBufferPointer { source in
                        scratch.withUnsafeMutableBufferPointer { target in
                            for position in source {
                                let digit = Int((UInt32(bitPattern: rows[Int(position)]) >> UInt32(shift)) & UInt32(buckets - 1))
                                target[counts[digit]] = position
                                counts[digit] += 1
                            }
                        }
                    }
                }
            }
            swap(&order, &scratch)
            shift += digitBits
        } while shift < 32 && largest >> UInt32(shift) != 0
        return order
    }
}

extension Tensor {
    /// Rows of a rank-2 table gathered by id, with a row-sparse gradient: the output has shape
    /// `indices.count × width`, and the backward pass appends to the table's
    /// ``sparseGradient`` instead of producing a dense gradient the size of the table.
    ///
    /// With a `paddingID`, that id reads as a row of zeros and its row receives no gradient
    /// (what multiplying the gathered rows by a 0/1 mask computes, without the extra passes).
    public func embeddingLookup(_ indices: [Int32], paddingID: Int32? = nil) -> Tensor {
        precondition(rank == 2, "Funnel: an embedding table must be rank 2, got shape \(shape)")
        // One table is the joined lookup of a single part.
        return Tensor.embeddingLookups([(self, indices, paddingID)])
    }

    /// Several lookups joined along the last axis in one pass: row `i` of the result is table
    /// 0's row `parts[0].ids[i]`, then table 1's row `parts[1].ids[i]`, … (an item as its id
    /// embedding ⊕ its category embedding), each with ``embeddingLookup(_:paddingID:)``'s
    /// padding and row-sparse gradient — without the separate lookups, the join and the slices
    /// of its backward pass.
    ///
    /// `touching[t]` (when given) are further ids of table `t` that the backward pass gives a zero
    /// gradient row: rows a model read without using the result (the behaviours ETA hashed but
    /// did not retrieve), which lazy optimizers must step as a lookup of them would.
    ///
    /// Shapes: tables `[rows_t, width_t]`, equal id counts `n` → `[n, Σ width_t]`.
    public static func embeddingLookups(
        _ parts: [(table: Tensor, ids: [Int32], paddingID: Int32?)], touching: [[Int32]] = []
    ) -> Tensor {
        precondition(touching.isEmpty || touching.count == parts.count, "Funnel: touched ids for \(touching.count) of \(parts.count) tables")
        precondition(!parts.isEmpty && parts.allSatisfy { $0.table.rank == 2 && $0.ids.count == parts[0].ids.count },
            "Funnel: joined lookups need rank-2 tables and equal id counts")
        let count = parts[0].ids.count
        let total = parts.reduce(0) { $0 + $1.table.shape[1] }
        let output = Tensor.uninitialized([count, total])
        var offset = 0
        for (index, part) in parts.enumerated() {
            let rows = Int32(clamping: part.table.shape[0])
            for (ids, what) in [(part.ids, "id"), (touching.isEmpty ? [] : touching[index], "touched id")] {
                if let position = ids.firstIndex(where: { $0 < 0 || $0 >= rows }) {
                    preconditionFailure(
                        "Funnel: \(what) \(ids[position]) at position \(position) outside the table's \(rows) rows")
                }
            }
            funnel_gather_rows(
                part.table.storage.pointer, part.table.shape[1], part.ids, count, part.paddingID == nil ? 0 : 1,
                part.paddingID ?? 0, output.storage.pointer + offset, total)
            offset += part.table.shape[1]
        }
        return result(output, inputs: parts.map(\.table)) { gradient in
            var offset = 0
            for (index, part) in parts.enumerated() {
                part.table.appendSparseGradient(
                    rows: part.ids, paddingID: part.paddingID, from: gradient.storage.pointer + offset, stride: total)
                offset += part.table.shape[1]
                if !touching.isEmpty, !touching[index].isEmpty {
                    let width = part.table.shape[1]
                    let zeros = [Float](repeating: 0, count: touching[index].count * width)
                    part.table.appendSparseGradient(
                        rows: touching[index], paddingID: part.paddingID, from: zeros, stride: width)
                }
            }
            return parts.map { _ in nil }
        }
    }

    /// Appends gradient rows (`stride` floats apart in `source`, this table's width each) for
    /// `rows` to ``sparseGradient``, leaving out the padding id's.
    private func appendSparseGradient(rows: [Int32], paddingID: Int32?, from source: UnsafePointer<Float>, stride: Int) {
        let width = shape[1]
        if sparseGradient == nil { sparseGradient = RowSparseGradient(width: width) }
        if stride == width, paddingID == nil || !rows.contains(paddingID!) {
            sparseGradient!.append(rows: rows, values: source)
            return
        }
        let kept = rows.indices.filter { rows[$0] != paddingID }
        let values = Tensor.uninitialized([kept.count, width])
        for (slot, position) in kept.enumerated() {
            (values.storage.pointer + slot * width).update(from: source + position * stride, count: width)
        }
        sparseGradient!.append(rows: kept.map { rows[$0] }, values: values.storage.pointer)
    }
}

extension RowSparseGradient {
    /// Multiplies every value (gradient clipping).
    public func scale(by factor: Float) {
        for index in values.indices { values[index] *= factor }
    }
}

extension RowSparseGradient {
    /// Appends another gradient's rows, each value multiplied by `factor` (multi-task steps
    /// summing per-task gradients).
    public func append(_ other: RowSparseGradient, scaledBy factor: Float = 1) {
        precondition(other.width == width, "Funnel: row width \(other.width) appended to rows of width \(width)")
        rows.append(contentsOf: other.rows)
        values.append(contentsOf: factor == 1 ? other.values : other.values.map { $0 * factor })
    }
}
