import CFunnelKernels

/// The gradient of an embedding table as rows: `values[i]` is the gradient of row `rows[i]`.
///
/// A recommendation model's tables dwarf its dense layers, and a batch touches a few thousand
/// of their rows; a dense gradient the size of the table would cost more than the whole model.
/// Lookups append here in the backward pass; optimizers coalesce and update only these rows.
///
/// A lookup's rows stay where its backward pass computed them: the gradient keeps that tensor
/// (never writing to it) and a stride, instead of copying every row into one growing array
/// (a copy and fresh pages each step, the bulk of a lookup's backward pass).
public final class RowSparseGradient {
    /// The width of a row (the embedding dimension).
    public let width: Int
    /// The touched rows, possibly repeated, in the order lookups met them.
    public private(set) var rows: [Int32] = []
    /// Where each appended run of `count` rows lies: its `i`-th row at `start + p·stride`
    /// floats into `source`, where `p` is `positions[i]`, or `i` without positions.
    private var runs: [(source: Tensor, start: Int, stride: Int, count: Int, positions: [Int32]?)] = []

    public init(width: Int) {
        self.width = width
    }

    /// `rows.count × width` values, row `i` the gradient of `rows[i]` (assembled on demand).
    public var values: [Float] {
        [Float](unsafeUninitializedCapacity: rows.count * width) { buffer, initialized in
            for (index, row) in rowPointers().enumerated() {
                (buffer.baseAddress! + index * width).initialize(from: row, count: width)
            }
            initialized = rows.count * width
        }
    }

    /// Adds gradient rows for `newRows`: the `i`-th at `start + p·stride` floats into `source`,
    /// where `p` is `positions[i]`, or `i` without positions. The caller never writes to
    /// `source` afterwards.
    func append(rows newRows: [Int32], source: Tensor, start: Int, stride: Int, positions: [Int32]? = nil) {
        precondition(
            positions == nil || positions!.count == newRows.count,
            "Funnel: \(newRows.count) gradient rows at \(positions!.count) positions")
        rows.append(contentsOf: newRows)
        runs.append((source, start, stride, newRows.count, positions))
    }

    /// A pointer to every row's values, in the order of ``rows``; valid while this gradient
    /// lives.
    private func rowPointers() -> [UnsafePointer<Float>] {
        var pointers: [UnsafePointer<Float>] = []
        pointers.reserveCapacity(rows.count)
        for run in runs {
            let base = UnsafePointer(run.source.storage.pointer + run.start)
            if let positions = run.positions {
                for position in positions { pointers.append(base + Int(position) * run.stride) }
            } else {
                for position in 0..<run.count { pointers.append(base + position * run.stride) }
            }
        }
        return pointers
    }

    /// The distinct rows in increasing order, each with the sum of its gradients (summed in
    /// lookup order, so the sums do not depend on anything but the lookups).
    public func coalesced() -> (rows: [Int32], values: [Float]) {
        guard !rows.isEmpty else { return ([], []) }
        return Self.coalesced(rows: rows, positions: nil, pointers: rowPointers(), width: width)
    }

    /// ``coalesced()`` as `parts` independent pieces that may run on any threads side by side
    /// (each keeps this gradient, whose rows it reads): piece `k` coalesces the rows whose hash
    /// falls in part `k`, in increasing order, with the same sums (each row's gradients in lookup
    /// order), so together the pieces hold exactly the rows and bits of ``coalesced()``.
    public func coalescingPieces(_ parts: Int) -> [() -> (rows: [Int32], values: [Float])] {
        guard parts > 1, !rows.isEmpty else { return [{ self.coalesced() }] }
        let pointers = rowPointers()
        // A multiplicative hash spreads runs of neighbouring ids over the parts.
        let partOf = rows.map { Int(((UInt64(UInt32(bitPattern: $0)) &* 0x9E37_79B9) >> 16) % UInt64(parts)) }
        var counts = [Int](repeating: 0, count: parts)
        for part in partOf { counts[part] += 1 }
        var positions = counts.map { count in
            var positions: [Int32] = []
            positions.reserveCapacity(count)
            return positions
        }
        for (position, part) in partOf.enumerated() { positions[part].append(Int32(position)) }
        return positions.map { positions in
            { [self] in
                guard !positions.isEmpty else { return ([], []) }
                return Self.coalesced(rows: rows, positions: positions, pointers: pointers, width: width)
            }
        }
    }

    /// Coalesces the rows at `positions` (increasing; `nil`: all) of `rows`, whose values lie at
    /// `pointers`.
    private static func coalesced(
        rows allRows: [Int32], positions: [Int32]?, pointers allPointers: [UnsafePointer<Float>], width: Int
    ) -> (rows: [Int32], values: [Float]) {
        let rows = positions.map { $0.map { allRows[Int($0)] } } ?? allRows
        let pointers = positions.map { $0.map { allPointers[Int($0)] } } ?? allPointers
        let order = stableOrder(of: rows)
        // Each sorted position's slot among the distinct rows and its values; the kernel then
        // copies each distinct row's first gradient and adds the later ones, split across
        // threads at slot boundaries.
        let count = rows.count
        var uniqueCount = 0
        var uniqueRows = [Int32](repeating: 0, count: count)
        var sorted = [UnsafePointer<Float>?](repeating: nil, count: count)
        let slots = [Int32](unsafeUninitializedCapacity: count) { slots, initialized in
            rows.withUnsafeBufferPointer { rows in
                order.withUnsafeBufferPointer { order in
                    pointers.withUnsafeBufferPointer { pointers in
                        uniqueRows.withUnsafeMutableBufferPointer { unique in
                            sorted.withUnsafeMutableBufferPointer { sorted in
                                var previous: Int32 = -1
                                for position in 0..<count {
                                    let index = Int(order[position])
                                    let row = rows[index]
                                    if row != previous {
                                        unique[uniqueCount] = row
                                        uniqueCount += 1
                                        previous = row
                                    }
                                    slots[position] = Int32(uniqueCount - 1)
                                    sorted[position] = pointers[index]
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        uniqueRows.removeLast(count - uniqueCount)
        let sums = [Float](unsafeUninitializedCapacity: uniqueRows.count * width) { sums, initialized in
            funnel_sum_rows(sorted, width, slots, count, sums.baseAddress!)
            initialized = uniqueRows.count * width
        }
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
                // The tables' gradients read their columns of this gradient where they lie.
                part.table.appendSparseGradient(
                    rows: part.ids, paddingID: part.paddingID, from: gradient, start: offset, stride: total)
                offset += part.table.shape[1]
                if !touching.isEmpty, !touching[index].isEmpty {
                    // Every touched row reads the same row of zeros.
                    part.table.appendSparseGradient(
                        rows: touching[index], paddingID: part.paddingID, from: Tensor.zeros([1, part.table.shape[1]]),
                        start: 0, stride: 0)
                }
            }
            return parts.map { _ in nil }
        }
    }

    /// Appends gradient rows (`stride` floats apart from `start` in `source`, this table's width
    /// each) for `rows` to ``sparseGradient``, leaving out the padding id's; inside a concurrent
    /// branch's backward pass, to the branch's held gradients.
    func appendSparseGradient(rows: [Int32], paddingID: Int32?, from source: Tensor, start: Int, stride: Int) {
        if let branch = BranchGradients.current {
            branch.hold(rows: rows, paddingID: paddingID, source: source, start: start, stride: stride, for: self)
            return
        }
        if sparseGradient == nil { sparseGradient = RowSparseGradient(width: shape[1]) }
        guard let paddingID, rows.contains(paddingID) else {
            sparseGradient!.append(rows: rows, source: source, start: start, stride: stride)
            return
        }
        let kept = rows.indices.filter { rows[$0] != paddingID }
        sparseGradient!.append(
            rows: kept.map { rows[$0] }, source: source, start: start, stride: stride, positions: kept.map { Int32($0) })
    }
}

extension RowSparseGradient {
    /// Multiplies every value (gradient clipping): the rows become one run of scaled copies,
    /// leaving the tensors they were read from as they are.
    public func scale(by factor: Float) {
        runs = [(Tensor(shape: [rows.count, width], scalars: values.map { $0 * factor }), 0, width, rows.count, nil)]
    }

    /// A gradient of the given rows (`rows.count × width` values, row-major), as an exchange
    /// between processes delivers it.
    public convenience init(width: Int, rows: [Int32], values: [Float]) {
        precondition(values.count == rows.count * width, "Funnel: \(values.count) values for \(rows.count) rows of \(width)")
        self.init(width: width)
        append(rows: rows, source: Tensor(shape: [rows.count, width], scalars: values), start: 0, stride: width)
    }

    /// Appends another gradient's rows, each value multiplied by `factor` (multi-task steps
    /// summing per-task gradients).
    public func append(_ other: RowSparseGradient, scaledBy factor: Float = 1) {
        precondition(other.width == width, "Funnel: row width \(other.width) appended to rows of width \(width)")
        if factor == 1 {
            rows.append(contentsOf: other.rows)
            runs.append(contentsOf: other.runs)
            return
        }
        let scaled = Tensor(shape: [other.rows.count, width], scalars: other.values.map { $0 * factor })
        append(rows: other.rows, source: scaled, start: 0, stride: width)
    }
}
