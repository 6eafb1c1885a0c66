import Foundation
import Testing

/// Open MPI's `mpirun`, for the tests that launch `funnel` as several ranks. Where it is not
/// installed those tests print why and pass without running, unless the environment variable
/// `CI` is set: then they fail, so that CI (whose `.ci/run` installs openmpi-bin) never skips
/// them.
public enum MPIRun {
    /// `mpirun` on the PATH, or nil.
    public static var launcher: String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        return folders.map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The launcher, or nil after printing (or, with `CI` set, recording) why the test cannot run.
    public static func required(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let launcher { return launcher }
        let reason = "mpirun is not installed (apt-get install openmpi-bin)"
        if ProcessInfo.processInfo.environment["CI"] != nil {
            Issue.record("\(reason), and CI must run the MPI tests", sourceLocation: sourceLocation)
        } else {
            print("skipped: \(reason)")
        }
        return nil
    }

    /// `mpirun -np <ranks> <executable> <arguments>` (as root in CI containers, more ranks than
    /// cores allowed), or with `ranks` 0 the executable alone, without a launcher (the single
    /// process a run is compared with); its output and errors discarded unless `output` and
    /// `errors` are given.
    public static func launch(
        _ launcher: String, ranks: Int, _ executable: String, _ arguments: [String], output: Pipe? = nil, errors: Pipe? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ranks == 0 ? executable : launcher)
        process.arguments =
            ranks == 0 ? arguments : ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", executable] + arguments
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = errors ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The `funnel` executable SwiftPM built beside the test bundle.
    public static var funnel: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("funnel").path
    }
}
