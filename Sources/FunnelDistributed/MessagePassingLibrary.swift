#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Open MPI's C library, loaded at run time with `dlopen` so that Funnel builds and runs where
/// no MPI is installed: the functions the collectives call and the predefined handles
/// (`MPI_COMM_WORLD`, `MPI_BYTE`), which Open MPI's ABI exports as the addresses of the
/// `ompi_mpi_*` objects. MPICH's integer handles are a different ABI and are refused by name.
final class MessagePassingLibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer
    private typealias InitFunction = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
    private typealias FlagFunction = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    private typealias VoidFunction = @convention(c) () -> Int32
    private typealias CommunicatorQuery = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    private typealias BarrierFunction = @convention(c) (Handle) -> Int32
    private typealias AllGatherFunction = @convention(c) (
        UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle
    ) -> Int32
    private typealias AllGatherVariableFunction = @convention(c) (
        UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, UnsafePointer<Int32>, UnsafePointer<Int32>, Handle,
        Handle
    ) -> Int32
    private typealias BroadcastFunction = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    private typealias AllToAllVariableFunction = @convention(c) (
        UnsafeRawPointer?, UnsafePointer<Int32>, UnsafePointer<Int32>, Handle, UnsafeMutableRawPointer?,
        UnsafePointer<Int32>, UnsafePointer<Int32>, Handle, Handle
    ) -> Int32

    /// The names tried in order: Open MPI 3 to 5's soname, then the development link.
    static let defaultNames = ["libmpi.so.40", "libmpi.so"]

    let world: Handle
    let byte: Handle
    private let initialise: InitFunction
    private let initialised: FlagFunction
    private let finalised: FlagFunction
    private let finaliseFunction: VoidFunction
    private let rankFunction: CommunicatorQuery
    private let sizeFunction: CommunicatorQuery
    private let barrierFunction: BarrierFunction
    private let allGatherFunction: AllGatherFunction
    private let allGatherVariableFunction: AllGatherVariableFunction
    private let broadcastFunction: BroadcastFunction
    private let allToAllVariableFunction: AllToAllVariableFunction

    /// Loads the first library of `names` that opens; its plugins need its symbols global.
    init(names: [String] = defaultNames) throws(DistributedError) {
        var handle: UnsafeMutableRawPointer?
        var reasons: [String] = []
        for name in names {
            handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if handle != nil { break }
            reasons.append(dlerror().map { String(cString: $0) } ?? name)
        }
        guard let handle else {
            throw DistributedError(
                "MPI is needed (this process was launched as one rank of several) but no MPI library loads: "
                    + reasons.joined(separator: "; ") + ". " + DistributedError.installHint)
        }
        func symbol(_ name: String) throws(DistributedError) -> UnsafeMutableRawPointer {
            guard let address = dlsym(handle, name) else {
                throw DistributedError(
                    "the MPI library loaded has no '\(name)': Funnel speaks Open MPI's ABI; " + DistributedError.installHint)
            }
            return address
        }
        world = try symbol("ompi_mpi_comm_world")
        byte = try symbol("ompi_mpi_byte")
        initialise = unsafeBitCast(try symbol("MPI_Init"), to: InitFunction.self)
        initialised = unsafeBitCast(try symbol("MPI_Initialized"), to: FlagFunction.self)
        finalised = unsafeBitCast(try symbol("MPI_Finalized"), to: FlagFunction.self)
        finaliseFunction = unsafeBitCast(try symbol("MPI_Finalize"), to: VoidFunction.self)
        rankFunction = unsafeBitCast(try symbol("MPI_Comm_rank"), to: CommunicatorQuery.self)
        sizeFunction = unsafeBitCast(try symbol("MPI_Comm_size"), to: CommunicatorQuery.self)
        barrierFunction = unsafeBitCast(try symbol("MPI_Barrier"), to: BarrierFunction.self)
        allGatherFunction = unsafeBitCast(try symbol("MPI_Allgather"), to: AllGatherFunction.self)
        allGatherVariableFunction = unsafeBitCast(try symbol("MPI_Allgatherv"), to: AllGatherVariableFunction.self)
        broadcastFunction = unsafeBitCast(try symbol("MPI_Bcast"), to: BroadcastFunction.self)
        allToAllVariableFunction = unsafeBitCast(try symbol("MPI_Alltoallv"), to: AllToAllVariableFunction.self)
    }

    /// `MPI_Init` once per process (a second call is an MPI error).
    func start() throws(DistributedError) {
        var flag: Int32 = 0
        _ = initialised(&flag)
        if flag == 0 { try check(initialise(nil, nil), "MPI_Init") }
    }

    func finish() {
        var flag: Int32 = 0
        _ = finalised(&flag)
        if flag == 0 { _ = finaliseFunction() }
    }

    func rank() throws(DistributedError) -> Int {
        var value: Int32 = 0
        try check(rankFunction(world, &value), "MPI_Comm_rank")
        return Int(value)
    }

    func size() throws(DistributedError) -> Int {
        var value: Int32 = 0
        try check(sizeFunction(world, &value), "MPI_Comm_size")
        return Int(value)
    }

    func barrier() throws(DistributedError) {
        try check(barrierFunction(world), "MPI_Barrier")
    }

    /// Every rank's `count` bytes, side by side in rank order, into `received`.
    func allGather(_ sent: UnsafeRawPointer?, count: Int32, into received: UnsafeMutableRawPointer?) throws(DistributedError) {
        try check(allGatherFunction(sent, count, byte, received, count, byte, world), "MPI_Allgather")
    }

    /// Rank r's bytes at `offsets[r]`, `counts[r]` long.
    func allGather(
        _ sent: UnsafeRawPointer?, count: Int32, into received: UnsafeMutableRawPointer?, counts: [Int32], offsets: [Int32]
    ) throws(DistributedError) {
        try check(allGatherVariableFunction(sent, count, byte, received, counts, offsets, byte, world), "MPI_Allgatherv")
    }

    func broadcast(_ buffer: UnsafeMutableRawPointer?, count: Int32, root: Int32) throws(DistributedError) {
        try check(broadcastFunction(buffer, count, byte, root, world), "MPI_Bcast")
    }

    func allToAll(
        _ sent: UnsafeRawPointer?, counts: [Int32], offsets: [Int32], into received: UnsafeMutableRawPointer?,
        receivedCounts: [Int32], receivedOffsets: [Int32]
    ) throws(DistributedError) {
        try check(
            allToAllVariableFunction(sent, counts, offsets, byte, received, receivedCounts, receivedOffsets, byte, world),
            "MPI_Alltoallv")
    }

    private func check(_ code: Int32, _ function: String) throws(DistributedError) {
        // MPI_SUCCESS is 0; the default error handler aborts before most failures return.
        guard code == 0 else { throw DistributedError("\(function) failed with MPI error code \(code)") }
    }
}
