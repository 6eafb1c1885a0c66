import Foundation

/// The real datasets kept beside the repository, at `<repository>/../shared/data` (CI clones
/// the repository with `shared/` next to it). Tests that read them fail, never skip, without them.
public enum SharedData {
    /// Why the shared data could not be found.
    public struct Missing: Error, CustomStringConvertible {
        public var path: String
        public var description: String {
            "the real datasets are not at \(path): tests need shared/data beside the repository "
                + "(<repository>/../shared/data, as CI clones it); they are not skipped without it"
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
}
