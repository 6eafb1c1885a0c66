import FunnelDistributed
import FunnelTensor

/// Sums the ranks' gradients so that every rank holds the gradient of the global batch (data
/// parallel training): each rank's gradients of its shard's mean loss, weighted by its share of
/// the global batch, added in rank order (``Communicator/sumInRankOrder(_:)``), so that every
/// rank gets the same bits and takes the same optimizer step.
///
/// Dense gradients travel as one buffer per step, summed slice by slice (a reduce-scatter and an
/// all-gather, ``Communicator/sumInRankOrder(_:)``). Embedding tables' row-sparse gradients travel
/// as their coalesced rows (ids and values), never as a table-sized dense array; every rank then
/// holds the rows of all ranks, in rank order, for the optimizer to coalesce. A parameter that
/// some rank has no gradient for (its shard never reached it) counts zero there; one that no
/// rank has a gradient for keeps none, as in a single process.
enum GradientExchange {
    /// What a parameter carries this step, as bits: 1 a dense gradient, 2 a row-sparse one.
    private static func carried(_ parameter: Tensor) -> UInt8 {
        (parameter.gradient != nil ? 1 : 0) | (parameter.sparseGradient?.rows.isEmpty == false ? 2 : 0)
    }

    /// Replaces every parameter's gradient by the weighted sum over the ranks; `share` is this
    /// rank's rows over the global batch's. Returns the bytes this rank sent: its part of the
    /// dense sum (2(N − 1)/N of the dense gradients), and its embedding rows (counts, ids and
    /// values, which every other rank receives) with the flags.
    static func sum(_ parameters: [Tensor], share: Float, over communicator: Communicator) throws -> (dense: Int, sparse: Int) {
        let carriedEverywhere = try communicator.allGather(parameters.map(carried)).reduce(
            [UInt8](repeating: 0, count: parameters.count)
        ) { union, flags in zip(union, flags).map { $0 | $1 } }
        let dense = try sumDense(parameters.indices.filter { carriedEverywhere[$0] & 1 != 0 }.map { parameters[$0] }, share: share, over: communicator)
        let sparse = try sumSparse(parameters.indices.filter { carriedEverywhere[$0] & 2 != 0 }.map { parameters[$0] }, share: share, over: communicator)
        return (dense, sparse + (communicator.size > 1 ? parameters.count : 0))
    }

    private static func sumDense(_ parameters: [Tensor], share: Float, over communicator: Communicator) throws -> Int {
        guard !parameters.isEmpty else { return 0 }
        var buffer: [Float] = []
        buffer.reserveCapacity(parameters.reduce(0) { $0 + $1.count })
        for parameter in parameters {
            if let gradient = parameter.gradient {
                buffer.append(contentsOf: gradient.scalars.map { $0 * share })
            } else {
                buffer.append(contentsOf: repeatElement(0, count: parameter.count))
            }
        }
        let summed = try communicator.sumInRankOrder(buffer)
        var offset = 0
        for parameter in parameters {
            parameter.gradient = Tensor(shape: parameter.shape, scalars: Array(summed[offset..<offset + parameter.count]))
            offset += parameter.count
        }
        return communicator.bytesSentSumming(buffer.count)
    }

    private static func sumSparse(_ parameters: [Tensor], share: Float, over communicator: Communicator) throws -> Int {
        guard !parameters.isEmpty else { return 0 }
        // Per table: how many rows this rank sends, then every table's rows and values.
        var counts: [Int32] = []
        var rows: [Int32] = []
        var values: [Float] = []
        for parameter in parameters {
            let (tableRows, tableValues) = parameter.sparseGradient?.coalesced() ?? ([], [])
            counts.append(Int32(tableRows.count))
            rows.append(contentsOf: tableRows)
            values.append(contentsOf: tableValues.map { $0 * share })
        }
        let (allCounts, allRows, allValues) = (
            try communicator.allGather(counts), try communicator.allGather(rows), try communicator.allGather(values)
        )
        let gradients = parameters.map { RowSparseGradient(width: $0.shape[1]) }
        for rank in 0..<communicator.size {
            var (rowOffset, valueOffset) = (0, 0)
            for (table, gradient) in gradients.enumerated() {
                let count = Int(allCounts[rank][table])
                let tableRows = Array(allRows[rank][rowOffset..<rowOffset + count])
                let tableValues = Array(allValues[rank][valueOffset..<valueOffset + count * gradient.width])
                gradient.append(RowSparseGradient(width: gradient.width, rows: tableRows, values: tableValues))
                rowOffset += count
                valueOffset += count * gradient.width
            }
        }
        for (parameter, gradient) in zip(parameters, gradients) { parameter.sparseGradient = gradient }
        return communicator.size > 1 ? (counts.count + rows.count + values.count) * 4 : 0
    }
}
