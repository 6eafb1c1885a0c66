import Foundation
import Testing

@testable import FunnelDistributed

/// `Communicator.world`: alone without a launcher (no MPI loaded), a clear error naming the
/// package when launched without a loadable MPI, and — under `mpirun` — every collective checked
/// among 2 and 3 ranks (`funnel distributed check`). The `mpirun` tests skip with a printed
/// reason where Open MPI is not installed, and fail instead when `CI` is set: `.ci/run` installs
/// it.
@Suite struct CommunicatorTests {
    @Test func aProcessStartedAloneHasNoWorld() throws {
        #expect(try Communicator.world(environment: ["HOME": "/root"], libraryNames: ["libmpi-absent.so.0"]) == nil)
    }

    @Test func aLaunchedProcessWithoutMPINamesThePackage() {
        #expect {
            try Communicator.world(
                environment: ["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2"], libraryNames: ["libmpi-absent.so.0"])
        } throws: { error in
            "\(error)".contains("no MPI library loads") && "\(error)".contains("apt-get install openmpi-bin")
        }
    }

    /// `mpirun` on the PATH, or nil.
    static var launcher: String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        return folders.map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The `funnel` executable SwiftPM built beside the test bundle.
    static var funnel: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("funnel").path
    }

    @Test(arguments: [2, 3])
    func everyCollectiveAgreesAmongLaunchedRanks(ranks: Int) throws {
        guard let launcher = Self.launcher else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("mpirun is not installed, and CI must run this test: \(DistributedError.installHint)")
            } else {
                print("skipped: mpirun is not installed (\(DistributedError.installHint))")
            }
            return
        }
        try #require(FileManager.default.isExecutableFile(atPath: Self.funnel), "no funnel executable at \(Self.funnel)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher)
        // Root in CI containers, and more ranks than cores on a 2-core machine.
        process.arguments = [
            "--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", Self.funnel, "distributed", "check", "--json",
            "--megabytes", "1",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // Rank 0 alone prints: one JSON object.
        let report = try JSONDecoder().decode(CollectiveCheck.Report.self, from: data)
        #expect(report.ranks == ranks)
        #expect(report.collectives.count == 4 && report.passed, "\(report.collectives)")
        #expect(report.gatheredBytes == 1_048_576 && report.gatherBytesPerSecond > 0)
    }
}
