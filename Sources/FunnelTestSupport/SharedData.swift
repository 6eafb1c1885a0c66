import Foundation
import Testing

/// The real datasets kept beside the repository, at `<repository>/../shared/data` (CI clones
/// the repository with `shared/` next to it). Tests that read them carry ``needsSharedData``:
/// without the folder they are skipped with a printed reason (a bare clone passes), unless the
/// environment variable `CI` is set: then they run and fail, so that CI never skips them.
public enum SharedData {
    /// Why the shared data could not be found.
    public struct Missing: Error, CustomStringConvertible {
        public var path: String
        public var description: String {
            "the real datasets are not at \(path): tests need shared/data beside the repository "
                + "(<repository>/../shared/data, as CI clones it); with CI set they fail instead of skipping"
        }

        public init(path: String) {
            self.path = path
        }
    }

    /// The repository root: the nearest folder above this file holding `Package.swift`.
    public static func repositoryRoot(from file: String = #filePath) -> URL? {
        var folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                return folder
            }
            folder.deleteLastPathComponent()
        }
        return nil
    }

    /// `<repository>/../shared/data`.
    public static var root: String {
        let repository = repositoryRoot() ?? URL(fileURLWithPath: #filePath)
        return repository.appendingPathComponent("../shared/data").standardizedFileURL.path
    }

    /// A dataset's folder under ``root``, or an error saying where it was looked for.
    public static func folder(named name: String) throws -> String {
        let path = root + "/" + name
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Missing(path: path)
        }
        return path
    }

    // MARK: Skipping without the data

    /// What `.ci/run` looks for in the test output: a data test was skipped.
    public static let skipMarker = "SKIPPED-SHARED-DATA"

    /// Whether `root` holds the datasets.
    public static var isPresent: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Whether the data tests must run even without the data (the environment variable `CI`).
    public static var isRequired: Bool {
        ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false
    }

    /// The condition of ``needsSharedData``: run when the data is there or CI requires it;
    /// otherwise count the skip, print the reason the first time and the count at exit.
    static func shouldRun() -> Bool {
        shouldRun(
            isPresent: isPresent,
            absence: "\(root) is absent: the tests that need ../shared/data are skipped (set CI=1 to make them fail instead)")
    }

    /// The skip logic every data trait shares (``needsSharedData``, `needsLanguageModels`):
    /// run when `isPresent` or CI requires it; otherwise count the skip, print `absence` after
    /// ``skipMarker`` the first time it is given, and print the total count at exit.
    static func shouldRun(isPresent: Bool, absence: @autoclosure () -> String) -> Bool {
        if isPresent || isRequired { return true }
        let reason = absence()
        let (count, isNewReason) = SkipCounter.shared.increment(reason: reason)
        if isNewReason {
            print("\(skipMarker): \(reason)")
        }
        if count == 1 {
            atexit {
                let count = SkipCounter.shared.count
                print("\(SharedData.skipMarker): skipped \(count) test\(count == 1 ? "" : "s") whose data is absent (reasons above)")
                fflush(nil)
            }
        }
        return false
    }

    /// The number of data tests skipped in this process.
    public static var skippedCount: Int { SkipCounter.shared.count }

    private final class SkipCounter: @unchecked Sendable {
        static let shared = SkipCounter()
        private let lock = NSLock()
        private var value = 0
        private var reasons: Set<String> = []

        var count: Int { lock.withLock { value } }

        /// The count after this skip, and whether `reason` is new.
        func increment(reason: String) -> (count: Int, isNewReason: Bool) {
            lock.withLock {
                value += 1
                return (value, reasons.insert(reason).inserted)
            }
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// For a test (not a suite: each test is counted) that reads `../shared/data`: skipped with
    /// a printed reason when the folder is absent, run (and failing) when `CI` is set.
    public static var needsSharedData: Self {
        .enabled("needs ../shared/data beside the repository (skipped without it unless CI is set)") {
            SharedData.shouldRun()
        }
    }
}
