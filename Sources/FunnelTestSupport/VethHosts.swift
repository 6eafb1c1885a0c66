import Foundation

/// Two "hosts" on this machine: two Linux network namespaces joined by a veth pair (`10.a.b.1`
/// and `10.a.b.2`, the subnet drawn per instance), and `mpirun` launching one rank in each — its
/// remote launcher (`plm_rsh_agent`) a script that runs the daemon inside the host's namespace
/// instead of over ssh, MPI's traffic forced onto TCP over the pair. Needs root (CAP_NET_ADMIN)
/// and iproute2; ``make()`` says why not where they are missing.
public final class VethHosts {
    public let folder: String
    private let names: (String, String)
    private let subnet: String

    /// The namespaces, the pair and the launcher's files, or the reason they cannot be made.
    public static func make() -> Result<VethHosts, Failure> {
        // Names and subnet of this instance alone: tests in one process may make hosts side by side.
        var random = SystemRandomNumberGenerator()
        let tag = String(random.next(upperBound: UInt32(36 * 36 * 36 * 36 * 36)), radix: 36)
        let subnet = "\(100 + random.next(upperBound: UInt8(100))).\(random.next(upperBound: UInt8.max))"
        let hosts = VethHosts(names: ("funnel-a-\(tag)", "funnel-b-\(tag)"), subnet: subnet)
        do {
            try hosts.setUp(tag: tag)
            return .success(hosts)
        } catch {
            hosts.remove()
            return .failure(error)
        }
    }

    /// The hosts, or nil after printing why they cannot be made here (a test then passes
    /// without running: namespaces need privileges a sandbox may not grant).
    public static func madeOrSkipped() -> VethHosts? {
        switch make() {
        case .success(let hosts): return hosts
        case .failure(let reason):
            print("skipped: two network namespaces cannot be made here: \(reason)")
            return nil
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private init(names: (String, String), subnet: String) {
        self.names = names
        self.subnet = subnet
        folder = NSTemporaryDirectory() + "funnel-veth-\(UUID().uuidString)"
    }

    private func address(_ host: Int) -> String { "10.\(subnet).\(host)" }

    private func setUp(tag: String) throws(Failure) {
        let (a, b) = names
        let (left, right) = ("fv\(tag)a", "fv\(tag)b")
        let steps: [[String]] = [
            ["netns", "add", a], ["netns", "add", b], ["link", "add", left, "type", "veth", "peer", "name", right],
            ["link", "set", left, "netns", a], ["link", "set", right, "netns", b],
            ["netns", "exec", a, "ip", "addr", "add", address(1) + "/24", "dev", left],
            ["netns", "exec", b, "ip", "addr", "add", address(2) + "/24", "dev", right],
            ["netns", "exec", a, "ip", "link", "set", left, "up"], ["netns", "exec", b, "ip", "link", "set", right, "up"],
            ["netns", "exec", a, "ip", "link", "set", "lo", "up"], ["netns", "exec", b, "ip", "link", "set", "lo", "up"],
        ]
        for step in steps {
            let (status, error) = Self.ip(step)
            guard status == 0 else { throw Failure(description: "ip \(step.joined(separator: " ")) failed: \(error)") }
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let agent = """
                #!/bin/sh
                # mpirun's remote launcher: "host command..." runs the command in that host's namespace.
                host="$1"; shift
                case "$host" in
                  \(address(1))) exec ip netns exec \(a) sh -c "$*" ;;
                  \(address(2))) exec ip netns exec \(b) sh -c "$*" ;;
                  *) echo "unknown host $host" >&2; exit 1 ;;
                esac

                """
            try agent.write(toFile: folder + "/agent.sh", atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/agent.sh")
            try "\(address(1)) slots=1\n\(address(2)) slots=1\n".write(toFile: folder + "/hosts", atomically: true, encoding: .utf8)
        } catch {
            throw Failure(description: "the launcher's files in \(folder): \(error)")
        }
    }

    /// `mpirun -np 2 <executable> <arguments>` started inside the first namespace, one rank per
    /// host, MPI over TCP on the pair only. Waiting ranks yield the CPU: busy-polling ones starve
    /// the kernel's work on the pair when ranks outnumber cores (12.8k ESMM samples/s instead of
    /// 163k on this 2-core machine).
    public func launch(_ launcher: String, _ executable: String, _ arguments: [String], output: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        let network = "10.\(subnet).0/24"
        process.arguments = [
            "netns", "exec", names.0, launcher, "--allow-run-as-root", "-np", "2", "--hostfile", folder + "/hosts",
            "--mca", "plm_rsh_agent", folder + "/agent.sh", "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", network,
            "--mca", "oob_tcp_if_include", network, "--mca", "mpi_yield_when_idle", "1", executable,
        ] + arguments
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Deletes the namespaces (the pair goes with them) and the files.
    public func remove() {
        _ = Self.ip(["netns", "del", names.0])
        _ = Self.ip(["netns", "del", names.1])
        try? FileManager.default.removeItem(atPath: folder)
    }

    private static func ip(_ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        let error = Pipe()
        process.standardError = error
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "\(error)") }
        let message = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, message.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
