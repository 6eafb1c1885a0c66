import Foundation
import FunnelTensor

extension SafeTensors {
    /// A parameter file that does not fit a module: names the file and the parameter.
    public struct ParameterError: Error, CustomStringConvertible {
        public var file: String
        public var parameter: String
        public var reason: String

        public init(file: String, parameter: String, reason: String) {
            self.file = file
            self.parameter = parameter
            self.reason = reason
        }

        public var description: String { "\(file): parameter '\(parameter)': \(reason)" }
    }
}

extension Module {
    /// Replaces every parameter's and every buffer's (``Module/registerBuffer(_:)``: BatchNorm's
    /// running statistics) values with those stored under its path name in a safetensors file
    /// (as ``saveParameters(to:metadata:)`` or PyTorch's `save_file` wrote it; `F16` and `BF16`
    /// entries are converted exactly). Entries that name no parameter or buffer are ignored.
    /// Nothing is changed unless every parameter and buffer is found with its shape.
    /// - Parameter file: the path of the `.safetensors` file.
    /// - Throws: ``SafeTensors/FormatError`` for a file that cannot be read or is not valid,
    ///   ``SafeTensors/ParameterError`` naming the first parameter missing, of another shape, or
    ///   stored as integers.
    public func loadParameters(from file: String) throws {
        try loadState(try SafeTensors.read(file: file).entries, file: file)
    }

    /// ``loadParameters(from:)`` from entries already read from `file` (named in errors);
    /// `overriding` gives the values of some parameters directly (rows read from elsewhere),
    /// without an entry. Nothing is changed unless every parameter and buffer is found.
    public func loadState(_ entries: [String: SafeTensors.Entry], file: String, overriding: [String: [Float]] = [:]) throws {
        var loaded: [(parameter: Tensor, values: [Float])] = []
        for (name, parameter) in namedState() {
            if let values = overriding[name] {
                loaded.append((parameter, values))
                continue
            }
            guard let entry = entries[name] else {
                throw SafeTensors.ParameterError(file: file, parameter: name, reason: "not in the file")
            }
            guard entry.shape == parameter.shape else {
                throw SafeTensors.ParameterError(
                    file: file, parameter: name, reason: "shape \(entry.shape) in the file, \(parameter.shape) in the model")
            }
            guard case .float32(let values) = entry.values else {
                throw SafeTensors.ParameterError(file: file, parameter: name, reason: "stored as integers, not floating point")
            }
            loaded.append((parameter, values))
        }
        for (parameter, values) in loaded {
            parameter.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: values) }
        }
    }

    /// Writes every parameter and every buffer under its path name as `F32` into a safetensors file that PyTorch
    /// reads with `safetensors.torch.load_file`. The bytes go to a temporary file in the same
    /// folder, are flushed, and are renamed over `file`: a reader sees the old file or the new.
    /// - Parameters:
    ///   - file: the path of the `.safetensors` file.
    ///   - metadata: the header's `__metadata__` strings (for PyTorch, `["format": "pt"]`).
    public func saveParameters(to file: String, metadata: [String: String] = [:]) throws {
        var entries: [String: SafeTensors.Entry] = [:]
        for (name, parameter) in namedState() {
            entries[name] = SafeTensors.Entry(shape: parameter.shape, values: .float32(parameter.scalars))
        }
        let data = try SafeTensors.encode(entries, metadata: metadata)
        let temporary = file + ".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        func fail(_ reason: String, cause: (any Error)? = nil) -> SafeTensors.FormatError {
            try? FileManager.default.removeItem(atPath: temporary)
            return SafeTensors.FormatError(file: file, reason: "cannot be written: \(reason)", cause: cause)
        }
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw fail("cannot create \(temporary)")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            throw fail("\(error)", cause: error)
        }
        guard rename(temporary, file) == 0 else { throw fail(String(cString: strerror(errno))) }
    }
}
