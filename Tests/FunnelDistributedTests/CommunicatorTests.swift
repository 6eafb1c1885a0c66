import Foundation
import FunnelTestSupport
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

    @Test(arguments: [2, 3])
    func everyCollectiveAgreesAmongLaunchedRanks(ranks: Int) throws {
        guard let launcher = MPIRun.required() else { return }
        try #require(FileManager.default.isExecutableFile(atPath: MPIRun.funnel), "no funnel executable at \(MPIRun.funnel)")
        let output = Pipe()
        let process = try MPIRun.launch(
            launcher, ranks: ranks, MPIRun.funnel, ["distributed", "check", "--json", "--megabytes", "1"], output: output)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // Rank 0 alone prints: one JSON object.
        let report = try JSONDecoder().decode(CollectiveCheck.Report.self, from: data)
        #expect(report.ranks == ranks)
        #expect(report.collectives.count == 4 && report.passed, "\(report.collectives)")
        #expect(report.gatheredBytes == 1_048_576 && report.gatherBytesPerSecond > 0 && report.networkNamespaces == 1)
    }

    /// The same check with the two ranks in two network namespaces joined by a veth pair, MPI
    /// over TCP between them (``VethHosts``); skipped with the reason where namespaces cannot be
    /// made (no root, no iproute2).
    @Test func everyCollectiveAgreesAcrossAVethPair() throws {
        guard let launcher = MPIRun.required() else { return }
        guard let hosts = VethHosts.madeOrSkipped() else { return }
        defer { hosts.remove() }
        let output = Pipe()
        let process = try hosts.launch(launcher, MPIRun.funnel, ["distributed", "check", "--json", "--megabytes", "1"], output: output)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let report = try JSONDecoder().decode(CollectiveCheck.Report.self, from: data)
        #expect(report.ranks == 2 && report.passed && report.networkNamespaces == 2, "\(report)")
    }
}
