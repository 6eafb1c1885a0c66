/// How `mpirun` (or another process manager) launched this process: its rank and the number of
/// ranks, read from the variables the launcher sets, before MPI itself is loaded. A process no
/// launcher started has none, and trains alone without loading MPI.
public struct LaunchEnvironment: Equatable, Sendable {
    /// This process's rank, `0 ..< size`.
    public let rank: Int
    /// How many processes the launcher started.
    public let size: Int
    /// The variables read (`OMPI_COMM_WORLD_RANK`, `PMIX_RANK`, `PMI_RANK`), for messages.
    public let source: String

    public init(rank: Int, size: Int, source: String) {
        self.rank = rank
        self.size = size
        self.source = source
    }

    /// Open MPI's `mpirun` sets `OMPI_COMM_WORLD_{RANK,SIZE}`; PMIx and Hydra-style launchers
    /// (Slurm's `srun`, MPICH's `mpiexec`) set `PMIX_RANK` or `PMI_RANK`/`PMI_SIZE`. `nil`: not
    /// launched by any of them. A rank or size that does not parse, or a rank outside the size,
    /// is an error naming the variable.
    public static func detect(_ environment: [String: String]) throws(DistributedError) -> LaunchEnvironment? {
        let pairs = [
            ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"), ("PMIX_RANK", "OMPI_COMM_WORLD_SIZE"), ("PMI_RANK", "PMI_SIZE"),
        ]
        for (rankName, sizeName) in pairs {
            guard let rankText = environment[rankName] else { continue }
            guard let rank = Int(rankText), rank >= 0 else {
                throw DistributedError("\(rankName)=\(rankText): expected a rank, a whole number from 0")
            }
            guard let sizeText = environment[sizeName] else {
                throw DistributedError("\(rankName) is set but \(sizeName) is not: the launcher's world size is unknown")
            }
            guard let size = Int(sizeText), size > rank else {
                throw DistributedError("\(sizeName)=\(sizeText): expected a world size above the rank \(rank)")
            }
            return LaunchEnvironment(rank: rank, size: size, source: "\(rankName)/\(sizeName)")
        }
        return nil
    }
}
