import Foundation
import FunnelData
import Testing

@testable import FunnelTraining

#if canImport(Glibc)
    import Glibc
#endif

/// A small tmpfs mounted in a temporary folder for one test (root on Linux only), so that a
/// write runs out of space for real.
final class SmallFileSystem {
    let path: String

    /// Mounts a tmpfs of `kilobytes` (rounded up to whole pages by the kernel).
    init(kilobytes: Int) throws {
        path = NSTemporaryDirectory() + "funnel-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #if os(Linux)
            guard mount("tmpfs", path, "tmpfs", 0, "size=\(kilobytes)k") == 0 else {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: path)
                throw FileWriteError(path: path, reason: "mount -t tmpfs failed: \(reason)")
            }
        #else
            try? FileManager.default.removeItem(atPath: path)
            throw FileWriteError(path: path, reason: "tmpfs mounts are set up on Linux only")
        #endif
    }

    deinit {
        #if os(Linux)
            umount2(path, Int32(MNT_DETACH))
        #endif
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Every file below the mount, relative to it.
    func files() -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }

    /// Why no small file system can be set up here, or `nil` when one can (probed once; the
    /// reason is printed, since the tests that need one are then skipped).
    static let unavailable: String? = {
        let reason: String?
        if getuid() != 0 {
            reason = "mounting a small tmpfs needs root"
        } else {
            do {
                _ = try SmallFileSystem(kilobytes: 64)
                reason = nil
            } catch {
                reason = "\(error)"
            }
        }
        if let reason { print("DiskFullTests skipped: \(reason) (the disk-full tests need a small tmpfs)") }
        return reason
    }()
}

/// Runs the built `funnel` with `arguments` (in `folder`, if given); returns its status,
/// standard error and standard output.
func runFunnel(_ arguments: [String], in folder: String? = nil) throws -> (status: Int32, errors: String, output: String) {
    let executable = ResumeTests.executable
    try #require(FileManager.default.isExecutableFile(atPath: executable), "the funnel executable is not at \(executable)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
    let errors = Pipe()
    let output = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Standard output is read on another thread, so that neither pipe fills up and blocks.
    final class Box: @unchecked Sendable { var data = Data() }
    let printed = Box()
    let done = DispatchSemaphore(value: 0)
    let reading = output.fileHandleForReading
    // A thread of its own: a global dispatch queue shares the cooperative pool's threads, which
    // this test (and others like it) may be holding.
    Thread.detachNewThread {
        printed.data = reading.readDataToEndOfFile()
        done.signal()
    }
    let data = errors.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self), String(decoding: printed.data, as: UTF8.self))
}

/// Writes on a full disk: a non-zero exit, a message naming the file and saying that the disk
/// is full, and no temporary (or half-written) file left.
@Suite(.enabled("needs a small tmpfs (root on Linux)") { SmallFileSystem.unavailable == nil })
struct DiskFullTests {
    private func expectPlainDiskFull(_ message: String, file: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(message.contains(file), "the message names \(file): \(message)", sourceLocation: sourceLocation)
        #expect(message.contains("cannot be written: the disk is full"), "\(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("NSCocoaErrorDomain") && !message.contains("Error Domain"), "\(message)", sourceLocation: sourceLocation)
    }

    @Test func simulateOntoAFullDiskFailsAndLeavesNothing() throws {
        let disk = try SmallFileSystem(kilobytes: 64)
        let out = disk.path + "/world"
        let run = try runFunnel(["simulate", "homepage", "--users", "500", "--days", "3", "--out", out])
        #expect(run.status != 0)
        expectPlainDiskFull(run.errors, file: out + "/dataset.funnelcache")
        // Neither a temporary file nor half a dataset (a schema without its cache).
        #expect(disk.files() == ["world"])
    }

    @Test func predictOntoAFullDiskFailsAndLeavesNothing() throws {
        let checkpoints = RunnerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: checkpoints) }
        var configuration = RunnerFixture.configuration(checkpoints: checkpoints)
        configuration.epochs = 1
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        _ = try trainer.train()

        let disk = try SmallFileSystem(kilobytes: 16)
        let out = disk.path + "/scores.csv"
        let run = try runFunnel(["predict", "--checkpoint", checkpoints, "--out", out])
        #expect(run.status != 0)
        expectPlainDiskFull(run.errors, file: out)
        #expect(disk.files().isEmpty)
    }

    @Test func aCheckpointOntoAFullDiskThrowsAndLeavesNoTemporaryFolder() throws {
        let disk = try SmallFileSystem(kilobytes: 32)
        let checkpoints = disk.path + "/run"
        var configuration = RunnerFixture.configuration(model: .mlp, checkpoints: checkpoints)
        configuration.epochs = 1
        let trainer = try Trainer(configuration: configuration)
        trainer.logsEvaluations = false
        do {
            _ = try trainer.train()
            Issue.record("checkpointing onto a full disk succeeded")
        } catch let error as FileWriteError {
            #expect(error.path.hasPrefix(checkpoints + "/step-"))
            expectPlainDiskFull("\(error)", file: error.path)
        }
        #expect(!disk.files().contains { $0.contains(".tmp-") }, "\(disk.files())")
    }

    @Test func aReportOntoAFullDiskThrowsAndLeavesNoTemporaryFile() throws {
        let disk = try SmallFileSystem(kilobytes: 8)
        let directory = disk.path + "/report"
        do {
            try ExperimentReport.write(reportFixture(), to: directory)
            Issue.record("writing the report onto a full disk succeeded")
        } catch let error as FileWriteError {
            #expect(error.path.hasPrefix(directory + "/"))
            expectPlainDiskFull("\(error)", file: error.path)
        }
        #expect(!disk.files().contains { $0.contains(".tmp-") }, "\(disk.files())")
    }
}

/// ``AtomicFile``'s plain words for the errors Foundation and POSIX report.
@Suite struct AtomicFileErrorTests {
    @Test func errnoAndFoundationErrorsBecomePlainWords() {
        #expect(AtomicFile.plainReason(errno: ENOSPC) == "the disk is full")
        #expect(AtomicFile.plainReason(errno: EROFS) == "the file system is read-only")
        #expect(AtomicFile.plainReason(errno: EACCES) == "permission denied")
        #expect(AtomicFile.plainReason(NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))) == "the disk is full")
        #expect(AtomicFile.plainReason(CocoaError(.fileWriteOutOfSpace)) == "the disk is full")
        let wrapped = NSError(
            domain: NSCocoaErrorDomain, code: CocoaError.fileWriteUnknown.rawValue,
            userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EDQUOT))])
        #expect(AtomicFile.plainReason(wrapped) == "the disk quota is exceeded")
    }

    @Test func aFailedWriteNamesTheFileAndLeavesNoTemporaryFile() throws {
        let folder = RunnerFixture.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A missing folder: the temporary file cannot even be created.
        #expect(throws: FileWriteError(path: folder + "/none/file", reason: "the folder does not exist")) {
            try AtomicFile.write(Data("x".utf8), to: folder + "/none/file")
        }
        // A body that fails: its error is passed on and the temporary file removed.
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try AtomicFile.write(to: folder + "/file") { output in
                output.write(Data("partial".utf8))
                throw Stop()
            }
        }
        // A target that is a folder: the rename fails, the temporary file is removed.
        try FileManager.default.createDirectory(atPath: folder + "/taken/inside", withIntermediateDirectories: true)
        #expect(throws: FileWriteError.self) { try AtomicFile.write(Data("x".utf8), to: folder + "/taken") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["taken"])
    }

    @Test func aFolderThatCannotBeCreatedIsNamedInPlainWords() throws {
        let folder = RunnerFixture.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A file where the output folder's parent should be.
        let blocker = folder + "/blocker"
        try Data().write(to: URL(fileURLWithPath: blocker))
        let run = try runFunnel(["simulate", "homepage", "--users", "10", "--days", "3", "--out", blocker + "/world"])
        #expect(run.status != 0)
        #expect(run.errors.contains(blocker + "/world: cannot be written: the folder cannot be created"), "\(run.errors)")
        #expect(!run.errors.contains("NSCocoaErrorDomain"), "\(run.errors)")
    }
}
