/// Why distributed training could not start or a collective failed.
public struct DistributedError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// The package that provides the MPI runtime, for the messages that ask for it.
    public static let installHint = "install Open MPI (Debian and Ubuntu: apt-get install openmpi-bin)"
}
