import CFunnelKernels

extension Tensor {
    /// One input of ``linear(_:weight:bias:rectified:)-(LinearPart…)``: a matrix read as it is,
    /// or the rows of a matrix that a batch repeats stored once.
    public enum LinearPart {
        /// `[rows, width]`, row r the part's row r.
        case rows(Tensor)
        /// Row r of the part is row `range.lowerBound + inverse[r]` of `values` (`[count, width]`);
        /// `inverse` has one entry per output row, each in `0 ..< range.count`. An embedding
        /// field whose ids repeat within a batch is its distinct ids' vectors and, per row, the
        /// index of its id among them.
        case indexed(values: Tensor, range: Range<Int>, inverse: [Int32])
        /// `width` columns whose products with the layer's weight are precomputed: row r of the
        /// output gains row `indices[r]` of `table` (`[count, out]`). An embedding field folded
        /// into a first layer for inference (``Tensor/foldedProducts(table:rows:weight:columns:)``);
        /// a linear map over such a part records no gradient.
        case products(table: Tensor, indices: [Int32], width: Int)

        /// The number of columns the part contributes.
        public var width: Int {
            switch self {
            case .rows(let tensor): tensor.shape[1]
            case .indexed(let values, _, _): values.shape[1]
            case .products(_, _, let width): width
            }
        }

        /// The tensor the part reads.
        var tensor: Tensor {
            switch self {
            case .rows(let tensor): tensor
            case .indexed(let values, _, _): values
            case .products(let table, _, _): table
            }
        }

        /// The distinct values of `ids[start]`, `ids[start + stride]`, … (`count` of them) in the
        /// order they first occur, and each position's index among them: what an `.indexed`
        /// part of an id column holds.
        public static func distinct(
            _ ids: [Int32], start: Int = 0, stride: Int = 1, count: Int
        ) -> (values: [Int32], inverse: [Int32]) {
            precondition(count == 0 || start + (count - 1) * stride < ids.count, "Funnel: \(count) ids past the end of \(ids.count)")
            var capacity = 2
            while capacity < 2 * count { capacity *= 2 }
            var scratch = [Int32](repeating: 0, count: capacity)
            var values = [Int32](repeating: 0, count: count)
            var inverse = [Int32](repeating: 0, count: count)
            let distinct = ids.withUnsafeBufferPointer { ids in
                funnel_deduplicate(ids.baseAddress! + start, count, stride, &scratch, capacity, &values, &inverse)
            }
            values.removeSubrange(distinct...)
            return (values, inverse)
        }

        /// The rows the part stands for: `.rows` as it is, `.indexed` gathered (with the
        /// gradient of the gather) for consumers that need the matrix itself.
        public var materialized: Tensor {
            switch self {
            case .rows(let tensor): tensor
            case .indexed(let values, let range, let inverse):
                values.indexSelect(inverse.map { $0 + Int32(range.lowerBound) })
            case .products:
                preconditionFailure("Funnel: a `.products` part holds a layer's products, not its input rows")
            }
        }
    }

    /// The affine map of the concatenation of `parts` along their last axis, as
    /// ``linear(_:weight:bias:rectified:)-([Tensor]…)``, where an `.indexed` part multiplies
    /// only its distinct rows: `P = values[range]·W[:, columns]ᵀ` (`[range.count, out]`) and row
    /// r of the output gains `P[inverse[r]]`. The backward pass sums the output gradient's rows
    /// by index (`S`, `[range.count, out]`) and computes the weight's columns as `Sᵀ·values[range]`
    /// and the values' gradient as `S·W[:, columns]`, so the three products of an embedding field
    /// whose ids repeat cost its distinct ids', not the batch's rows'.
    ///
    /// Row r sums its `.rows` parts' products (one GEMM accumulation), then its `.indexed` parts'
    /// rows in order, then the bias; that order is fixed, so the bits depend only on the inputs
    /// (not on the thread count), although they differ from the materialised parts' linear map by
    /// rounding. Without `.indexed` parts this is the `[Tensor]` form exactly. `.products` parts'
    /// rows are added after the `.indexed` parts', in order; with them the map is for inference
    /// and records nothing.
    ///
    /// Shapes: parts of equal row count `rows` with `Σ widthᵢ = in`, weight `[out, in]`, bias
    /// `[out]` → `[rows, out]`.
    public static func linear(_ parts: [LinearPart], weight: Tensor, bias: Tensor, rectified: Bool = false) -> Tensor {
        var matrices: [(tensor: Tensor, offset: Int)] = []
        var indexed: [(values: Tensor, range: Range<Int>, inverse: [Int32], offset: Int)] = []
        var folded: [(table: Tensor, indices: [Int32])] = []
        var offset = 0
        for part in parts {
            switch part {
            case .rows(let tensor): matrices.append((tensor, offset))
            case .indexed(let values, let range, let inverse): indexed.append((values, range, inverse, offset))
            case .products(let table, let indices, _): folded.append((table, indices))
            }
            offset += part.width
        }
        if indexed.isEmpty && folded.isEmpty {
            return linear(matrices.map(\.tensor), weight: weight, bias: bias, rectified: rectified)
        }
        let rows = matrices.first?.tensor.shape[0] ?? indexed.first?.inverse.count ?? folded[0].indices.count
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        precondition(
            weight.rank == 2 && bias.shape == [outputs] && offset == inputs
                && matrices.allSatisfy { $0.tensor.rank == 2 && $0.tensor.shape[0] == rows }
                && indexed.allSatisfy {
                    $0.values.rank == 2 && $0.inverse.count == rows && $0.range.lowerBound >= 0
                        && $0.range.upperBound <= $0.values.shape[0]
                }
                && folded.allSatisfy { $0.table.rank == 2 && $0.table.shape[1] == outputs && $0.indices.count == rows },
            "Funnel: linear of parts of widths \(parts.map(\.width)) over \(rows) rows, weight \(weight.shape), bias \(bias.shape)")
        precondition(folded.isEmpty || !GradientMode.isEnabled, "Funnel: `.products` parts are for inference, without gradients")
        // Part p's products occupy rows starts[p] ..< starts[p] + count of one table; indices
        // holds, part after part, each output row's row of that table.
        var starts: [Int] = []
        var slots = 0
        for part in indexed {
            starts.append(slots)
            slots += part.range.count
        }
        var indices = [Int32](repeating: 0, count: (indexed.count + folded.count) * rows)
        // Whether every part meets its rows first in increasing order and meets them all (what
        // ``distinct(_:start:stride:count:)`` gives): then the backward pass need not zero its sums.
        var firstSeenOrder = true
        for (p, part) in indexed.enumerated() {
            let start = Int32(starts[p])
            var next: Int32 = 0
            for (r, index) in part.inverse.enumerated() {
                precondition(index >= 0 && Int(index) < part.range.count, "Funnel: row index \(index) at row \(r) outside 0..<\(part.range.count)")
                indices[p * rows + r] = start + index
                if index == next { next += 1 } else if index > next { firstSeenOrder = false }
            }
            if Int(next) != part.range.count { firstSeenOrder = false }
        }
        for (p, part) in folded.enumerated() {
            let count = Int32(part.table.shape[0])
            for (r, index) in part.indices.enumerated() {
                precondition(index >= 0 && index < count, "Funnel: product row \(index) at row \(r) outside 0..<\(count)")
            }
            indices.replaceSubrange((indexed.count + p) * rows..<(indexed.count + p + 1) * rows, with: part.indices)
        }

        let output = Tensor.uninitialized([rows, outputs])
        for (index, (part, offset)) in matrices.enumerated() {
            funnel_sgemm(
                0, 1, rows, outputs, part.shape[1], 1, part.storage.pointer, part.shape[1],
                weight.storage.pointer + offset, inputs, index == 0 ? 0 : 1, output.storage.pointer, outputs)
        }
        let products = Tensor.uninitialized([slots, outputs])
        for (part, start) in zip(indexed, starts) where !part.range.isEmpty {
            let width = part.values.shape[1]
            funnel_sgemm(
                0, 1, part.range.count, outputs, width, 1, part.values.storage.pointer + part.range.lowerBound * width,
                width, weight.storage.pointer + part.offset, inputs, 0, products.storage.pointer + start * outputs, outputs)
        }
        // The `.indexed` parts' indices are rows of `products`; a `.products` part's, of its table.
        let sources: [UnsafePointer<Float>?] =
            Array(repeating: UnsafePointer(products.storage.pointer), count: indexed.count)
            + folded.map { UnsafePointer($0.table.storage.pointer) }
        funnel_add_indexed_rows(
            output.storage.pointer, rows, outputs, bias.storage.pointer, sources, indices, indexed.count + folded.count,
            matrices.isEmpty ? 0 : 1, rectified ? 1 : 0)
        if !folded.isEmpty { return output }

        // Each distinct values tensor is one input, whatever number of parts read it.
        var tables: [Tensor] = []
        for part in indexed where !tables.contains(where: { $0 === part.values }) { tables.append(part.values) }
        let values = output.detached()
        return result(output, inputs: matrices.map(\.tensor) + tables + [weight, bias], overwriting: { outputGradient, exclusive in
            let (gradient, biasGradient) = linearOutputGradient(
                outputGradient, exclusive: exclusive, values: values, bias: bias, rectified: rectified)
            var gradients = matrices.map { part, offset in linearPartGradient(gradient, part: part, weight: weight, offset: offset) }
            let sums = Tensor.uninitialized([slots, outputs])
            funnel_segment_sum_rows(
                gradient.storage.pointer, rows, outputs, indices, indexed.count, firstSeenOrder ? 1 : 0, sums.storage.pointer,
                slots)
            let tableGradients = tables.map { $0.requiresGradient ? Tensor.zeros($0.shape) : nil }
            let blocks = weight.requiresGradient ? Tensor.uninitialized([outputs, inputs]) : nil
            for (part, start) in zip(indexed, starts) {
                let width = part.values.shape[1]
                let count = part.range.count
                let partSums = sums.storage.pointer + start * outputs
                if let blocks {
                    funnel_sgemm(
                        1, 0, outputs, width, count, 1, partSums, outputs,
                        part.values.storage.pointer + part.range.lowerBound * width, width, 0,
                        blocks.storage.pointer + part.offset, inputs)
                }
                if let valuesGradient = tableGradients[tables.firstIndex { $0 === part.values }!] {
                    funnel_sgemm(
                        0, 0, count, width, outputs, 1, partSums, outputs, weight.storage.pointer + part.offset, inputs, 1,
                        valuesGradient.storage.pointer + part.range.lowerBound * width, width)
                }
            }
            if let blocks {
                for (part, offset) in matrices { linearWeightBlock(gradient, part: part, into: blocks, offset: offset) }
            }
            gradients.append(contentsOf: tableGradients)
            gradients.append(blocks)
            gradients.append(biasGradient)
            return gradients
        })
    }
}

extension Tensor {
    /// The products of blocks of a table's rows with a linear layer's columns, stacked: block i
    /// is `table[rows[i]]·weight[:, columns[i] ..< columns[i] + width]ᵀ` (`[rows[i].count, out]`),
    /// where `width` is the table's. Folding an embedding field into a first layer: row `id` of
    /// a field's block is what the layer's columns for that field make of the id's vector, so a
    /// `.products` part (``LinearPart/products(table:indices:width:)``) adds it instead of
    /// multiplying. A constant: it records no gradient and does not follow later changes.
    ///
    /// Shapes: table `[count, width]`, weight `[out, in]` → `[Σ rows[i].count, out]`.
    public static func foldedProducts(table: Tensor, rows: [Range<Int>], weight: Tensor, columns: [Int]) -> Tensor {
        let (width, outputs, inputs) = (table.shape[1], weight.shape[0], weight.shape[1])
        precondition(
            table.rank == 2 && weight.rank == 2 && rows.count == columns.count
                && rows.allSatisfy { $0.lowerBound >= 0 && $0.upperBound <= table.shape[0] }
                && columns.allSatisfy { $0 >= 0 && $0 + width <= inputs },
            "Funnel: folding rows \(rows) of a table \(table.shape) into columns \(columns) of a weight \(weight.shape)")
        let products = Tensor.uninitialized([rows.reduce(0) { $0 + $1.count }, outputs])
        var start = 0
        for (block, column) in zip(rows, columns) where !block.isEmpty {
            funnel_sgemm(
                0, 1, block.count, outputs, width, 1, table.storage.pointer + block.lowerBound * width, width,
                weight.storage.pointer + column, inputs, 0, products.storage.pointer + start * outputs, outputs)
            start += block.count
        }
        return products
    }
}

extension Array where Element == Tensor.LinearPart {
    /// The distinct tensors the parts read, in order: a concurrent branch's inputs
    /// (``Tensor/concurrently(_:_:)-([[Tensor]]…)``).
    public var tensors: [Tensor] {
        var tensors: [Tensor] = []
        for part in self where !tensors.contains(where: { $0 === part.tensor }) { tensors.append(part.tensor) }
        return tensors
    }

    /// The parts' rows side by side along the last axis, each materialised
    /// (``Tensor/LinearPart/materialized``): the input itself, for consumers that need it.
    public var concatenated: Tensor {
        let matrices = map(\.materialized)
        return matrices.count == 1 ? matrices[0] : Tensor.concatenated(matrices, alongAxis: -1)
    }

    /// The same parts reading `replacements[i]` where they read ``tensors``[i] (a branch's views).
    public func replacingTensors(with replacements: [Tensor]) -> [Tensor.LinearPart] {
        let originals = tensors
        precondition(replacements.count == originals.count, "Funnel: \(replacements.count) tensors for \(originals.count)")
        let replacement = { (tensor: Tensor) in replacements[originals.firstIndex { $0 === tensor }!] }
        return map { part in
            switch part {
            case .rows(let rows): .rows(replacement(rows))
            case .indexed(let values, let range, let inverse): .indexed(values: replacement(values), range: range, inverse: inverse)
            case .products(let table, let indices, let width): .products(table: replacement(table), indices: indices, width: width)
            }
        }
    }
}
