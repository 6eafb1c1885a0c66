import FunnelData
import FunnelDistributed
import FunnelModels
import FunnelTensor

/// The model's outputs for every evaluation batch, in batch order. Data parallel, the ranks
/// take the batches in turns (rank r the r-th of every N), then gather each round's outputs, so
/// that every rank hands its scorers the outputs of every batch in order — the metrics a single
/// process computes, with 1/N of the forward passes each (every rank runs a forward pass in
/// every round when embedding tables are split over the ranks, whose lookups are collective).
enum ScoredBatches {
    /// Calls `body` with each batch of `slices` and the model's outputs for it, in order.
    static func forEach(
        _ slices: [ArraySlice<Int32>], batcher: Batcher, model: some FunnelModel, communicator: Communicator?,
        _ body: (Batch, [String: Tensor]) throws -> Void
    ) throws {
        guard let communicator, communicator.size > 1 else {
            for slice in slices {
                let batch = batcher.batch(slice)
                try body(batch, try model(batch))
            }
            return
        }
        let sharded = !ShardedTable.all(in: model).isEmpty
        for round in stride(from: 0, to: slices.count, by: communicator.size) {
            let own = round + communicator.rank
            let batches = slices[round..<Swift.min(round + communicator.size, slices.count)].map { batcher.batch($0) }
            var outputs: [String: Tensor] = [:]
            if own < slices.count {
                outputs = try model(batches[own - round])
            } else if sharded {
                // No batch here this round: a stand-in forward pass takes part in the lookups of
                // the tables split over the ranks; its outputs are not sent.
                _ = try model(batches[0])
            }
            let (header, values) = encode(outputs)
            let (headers, allValues) = (try communicator.allGather(header), try communicator.allGather(values))
            for (offset, batch) in batches.enumerated() {
                try body(batch, try decode(headers[offset], allValues[offset]))
            }
        }
    }

    /// The outputs as a text header (`name:dim,dim` per output, `;`-separated, names sorted) and
    /// their values side by side.
    private static func encode(_ outputs: [String: Tensor]) -> (header: [UInt8], values: [Float]) {
        let names = outputs.keys.sorted()
        let header = names.map { "\($0):" + outputs[$0]!.shape.map(String.init).joined(separator: ",") }.joined(separator: ";")
        return (Array(header.utf8), names.flatMap { outputs[$0]!.scalars })
    }

    private static func decode(_ header: [UInt8], _ values: [Float]) throws -> [String: Tensor] {
        var outputs: [String: Tensor] = [:]
        var offset = 0
        for entry in String(decoding: header, as: UTF8.self).split(separator: ";") {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            let shape = parts.count == 2 ? parts[1].split(separator: ",").compactMap { Int($0) } : []
            let count = shape.reduce(1, *)
            guard parts.count == 2, offset + count <= values.count else {
                throw DistributedError("a rank's evaluation outputs do not decode ('\(entry)' at value \(offset) of \(values.count))")
            }
            outputs[String(parts[0])] = Tensor(shape: shape, scalars: Array(values[offset..<offset + count]))
            offset += count
        }
        return outputs
    }
}
