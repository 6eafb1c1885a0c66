import Foundation

/// `funnel distributed check`: every collective Funnel uses, run among the launched ranks on
/// values each rank can predict, and the all-gather's throughput — to check a cluster's MPI
/// before a run depends on it. Each rank checks what it received; the results are gathered so
/// that rank 0 reports them all.
public enum CollectiveCheck {
    /// What the ranks found.
    public struct Report: Codable, Sendable, Equatable {
        public var ranks: Int
        /// Per collective, whether every rank received exactly the expected values.
        public var collectives: [String: Bool]
        /// Bytes each rank sent per timed all-gather, and the gathered bytes per second a rank
        /// received (median of the repeats).
        public var gatheredBytes: Int
        public var gatherBytesPerSecond: Double
        /// How many distinct network stacks the ranks run in (Linux network namespaces, read
        /// from `/proc/self/ns/net`): 1 on one machine, one per host or namespace otherwise;
        /// `nil` where the system does not say.
        public var networkNamespaces: Int?

        public var passed: Bool { collectives.values.allSatisfy { $0 } }
    }

    /// Runs the checks; every rank must call it. `megabytes` sizes the timed all-gather.
    public static func run(_ communicator: Communicator, megabytes: Double = 8, repeats: Int = 5) throws -> Report {
        let (rank, size) = (communicator.rank, communicator.size)
        var found: [(String, Bool)] = []
        // Rank r sends r + 1 values r·100 + i: counts differ, so the variable gather is exercised.
        let gathered = try communicator.allGather((0...rank).map { Float(rank * 100 + $0) })
        found.append(("allGather", gathered == (0..<size).map { r in (0...r).map { Float(r * 100 + $0) } }))
        // Values whose sum depends on the order of the additions, 7 of them so that the ranks'
        // slices are uneven: the rank-order sum is exact.
        let terms: [Float] = [1e8, 1, -1e8, 0.1]
        func contribution(_ r: Int) -> [Float] { [terms[r % terms.count], Float(r)] + (0..<5).map { Float(r * 10 + $0) / 3 } }
        let summed = try communicator.sumInRankOrder(contribution(rank))
        let expected = (1..<size).reduce(contribution(0)) { sum, r in zip(sum, contribution(r)).map { $0 + $1 } }
        found.append(("sumInRankOrder", summed == expected))
        let broadcast = try communicator.broadcast(rank == size - 1 ? [Int32(7), -3, 11] : [], from: size - 1)
        found.append(("broadcast", broadcast == [7, -3, 11]))
        // Rank r sends rank s the values r·10 + s, s + 1 of them.
        let exchanged = try communicator.allToAll((0..<size).map { s in [Int64](repeating: Int64(rank * 10 + s), count: s + 1) })
        found.append(("allToAll", exchanged == (0..<size).map { r in [Int64](repeating: Int64(r * 10 + rank), count: rank + 1) }))
        try communicator.barrier()

        let payload = [Float](repeating: Float(rank), count: max(1, Int(megabytes * 1_048_576) / 4))
        var rates: [Double] = []
        for _ in 0..<max(1, repeats) {
            try communicator.barrier()
            let start = DispatchTime.now().uptimeNanoseconds
            let parts = try communicator.allGather(payload)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(parts.reduce(0) { $0 + $1.count } * 4) / max(seconds, 1e-9))
        }
        rates.sort()
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")) ?? ""
        let namespaces = try communicator.allGather(Array(namespace.utf8))
        // Every rank's verdicts, so that a failure anywhere shows at rank 0.
        let verdicts = try communicator.allGather(found.map { $0.1 ? UInt8(1) : 0 })
        var collectives: [String: Bool] = [:]
        for (index, (name, _)) in found.enumerated() { collectives[name] = verdicts.allSatisfy { $0[index] == 1 } }
        return Report(
            ranks: size, collectives: collectives, gatheredBytes: payload.count * 4, gatherBytesPerSecond: rates[rates.count / 2],
            networkNamespaces: namespaces.contains([]) ? nil : Set(namespaces).count)
    }
}
