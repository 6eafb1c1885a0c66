import FunnelTensor

/// Simulates users independently, in parallel chunks of consecutive users, each user from its
/// own seeded generator; returns each chunk's log in user order. The split depends only on the
/// thread count and the result not at all (every user's draws are its own), so the same seed
/// gives the same bytes on any machine.
func simulateInChunks<Log>(users: Int, empty: Log, _ simulate: (_ user: Int, _ log: inout Log) -> Void) -> [Log] {
    let chunks = Swift.max(1, Swift.min(users, Compute.threadCount * 4))
    var logs = [Log](repeating: empty, count: chunks)
    logs.withUnsafeMutableBufferPointer { logs in
        Compute.parallelFor(tasks: chunks) { chunk in
            var log = empty
            for user in Compute.range(of: chunk, tasks: chunks, count: users) { simulate(user, &log) }
            logs[chunk] = log
        }
    }
    return logs
}

/// A user's own generator: independent streams for different users and seeds.
func userGenerator(seed: UInt64, user: Int) -> RandomGenerator {
    RandomGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(user + 1))
}
