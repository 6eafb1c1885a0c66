import Testing

@testable import FunnelDistributed

/// `LaunchEnvironment.detect`: the rank and world size the launchers set, and refusals that
/// name the variable.
@Suite struct LaunchEnvironmentTests {
    @Test func openMPIAndPMILaunchersAreRead() throws {
        #expect(
            try LaunchEnvironment.detect(["OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2"])
                == LaunchEnvironment(rank: 1, size: 2, source: "OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE"))
        #expect(try LaunchEnvironment.detect(["PMI_RANK": "3", "PMI_SIZE": "4"])?.rank == 3)
        #expect(try LaunchEnvironment.detect(["PATH": "/usr/bin"]) == nil)
    }

    @Test(arguments: [
        (["OMPI_COMM_WORLD_RANK": "one", "OMPI_COMM_WORLD_SIZE": "2"], "OMPI_COMM_WORLD_RANK=one"),
        (["OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "2"], "OMPI_COMM_WORLD_SIZE=2: expected a world size above the rank 2"),
        (["PMI_RANK": "0"], "PMI_RANK is set but PMI_SIZE is not"),
    ])
    func malformedVariablesAreRefused(environment: [String: String], message: String) {
        #expect {
            try LaunchEnvironment.detect(environment)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
