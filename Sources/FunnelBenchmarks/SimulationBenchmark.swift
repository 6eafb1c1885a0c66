import Foundation
import FunnelSimulation
import FunnelTensor

/// `funnel bench simulate`: exposures per second from the first draw to the binary dataset on
/// disk, and the peak resident memory, for each scenario.
public enum SimulationBenchmark {
    public struct Result: Codable, Sendable {
        public var scenario: String
        public var users: Int
        public var days: Int
        public var exposures: Int
        public var seconds: Double
        public var exposuresPerSecond: Double
        public var peakResidentMebibytes: Double
    }

    public static func run(
        scenarios: [ScenarioKind] = ScenarioKind.allCases, users: Int, days: Int, threads: Int, directory: String
    ) throws -> [Result] {
        Compute.threadCount = threads
        return try scenarios.map { scenario in
            let output = directory + "/" + scenario.rawValue
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: output) }
            let start = DispatchTime.now()
            let world = try scenario.simulate(users: users, days: days, seed: 1)
            try world.write(to: output)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            return Result(
                scenario: scenario.rawValue, users: users, days: days, exposures: world.exposureCount, seconds: seconds,
                exposuresPerSecond: Double(world.exposureCount) / seconds,
                peakResidentMebibytes: ESMMBenchmark.peakResidentMebibytes())
        }
    }

    public static func table(_ results: [Result]) -> String {
        var lines = ["scenario     users    days   exposures   seconds   exposures/s   peak MiB"]
        for result in results {
            lines.append(String(
                format: "%@ %9d %6d %11d %9.2f %13.0f %10.0f", result.scenario.padding(toLength: 10, withPad: " ", startingAt: 0),
                result.users, result.days, result.exposures, result.seconds, result.exposuresPerSecond, result.peakResidentMebibytes))
        }
        lines.append("Peak memory is the process's high-water mark so far (it includes earlier scenarios).")
        return lines.joined(separator: "\n")
    }
}
