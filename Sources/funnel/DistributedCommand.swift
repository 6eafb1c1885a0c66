import ArgumentParser
import Foundation
import FunnelDistributed

/// `funnel distributed check`: the run-time MPI Funnel trains over, checked among the ranks
/// `mpirun` launched.
struct DistributedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distributed",
        abstract: "Training beyond one machine over MPI (Open MPI, loaded at run time).",
        subcommands: [DistributedCheckCommand.self])
}

struct DistributedCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check MPI among the launched ranks: every collective Funnel uses, and the all-gather's throughput.",
        discussion: """
            Launch it as the training will be launched, for example on one machine:
              mpirun -np 2 funnel distributed check
            Every rank checks the all-gather (ranks sending different counts), the sum in rank order (the same bits on every rank), the broadcast and the all-to-all on values it can predict; rank 0 prints the verdicts of all ranks and the all-gather's throughput, and the command fails if any rank received anything else. MPI is Open MPI's libmpi.so.40, loaded at run time (Debian and Ubuntu: apt-get install openmpi-bin); a process started without mpirun reports that it is alone.
            """)

    @Option(help: "MiB each rank sends in the timed all-gather.")
    var megabytes: Double = 8

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        guard let communicator = try Communicator.world(environment: ProcessInfo.processInfo.environment) else {
            print("not launched by mpirun (no OMPI_COMM_WORLD_RANK, PMIX_RANK or PMI_RANK): one process, nothing to check")
            return
        }
        defer { communicator.finish() }
        let report = try CollectiveCheck.run(communicator, megabytes: megabytes)
        guard communicator.isLead else {
            if !report.passed { throw ExitCode.failure }
            return
        }
        if json {
            print(try encodeJSON(report))
        } else {
            print("\(report.ranks) ranks" + (report.networkNamespaces.map { " in \($0) network namespace\($0 == 1 ? "" : "s")" } ?? ""))
            for (name, passed) in report.collectives.sorted(by: { $0.key < $1.key }) {
                print("  \(name): \(passed ? "ok" : "FAILED on some rank")")
            }
            print(String(format: "  all-gather of %.1f MiB per rank: %.1f MiB/s received per rank", Double(report.gatheredBytes) / 1_048_576, report.gatherBytesPerSecond / 1_048_576))
        }
        if !report.passed { throw ExitCode.failure }
    }
}
