import Foundation

/// Runs an exported model with onnxruntime through `python3` and the committed script
/// `Resources/run_onnx.py`, installing onnxruntime with pip when it is missing.
enum ONNXRuntimeRunner {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Whether onnxruntime can be imported, after trying to install it once: `nil` when it can,
    /// else why not.
    static let unavailability: String? = {
        if python(["-c", "import onnxruntime, numpy"]).status == 0 { return nil }
        let install = python(["-m", "pip", "install", "--quiet", "onnxruntime"])
        if install.status != 0 {
            _ = python(["-m", "pip", "install", "--quiet", "--break-system-packages", "onnxruntime"])
        }
        let check = python(["-c", "import onnxruntime, numpy"])
        return check.status == 0 ? nil : "python3 cannot import onnxruntime after 'pip install onnxruntime': \(check.output)"
    }()

    /// `true` when the parity tests can run; otherwise, in CI (the environment variable `CI`
    /// set) the caller fails, elsewhere it prints a note and skips.
    static func available() throws -> Bool {
        guard let reason = unavailability else { return true }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            throw Failure(description: "onnxruntime is required in CI for the ONNX parity tests: \(reason)")
        }
        print("note: FunnelONNXTests skips the onnxruntime comparison: \(reason)")
        return false
    }

    /// Runs `model` on `rows` rows: `categorical` ids per input, `dense` row-major `[rows, D]`
    /// (or `nil`). Returns each output's values.
    static func run(model: String, rows: Int, categorical: [String: [Int64]], dense: [Float]?, folder: String) throws -> [String: [Double]] {
        var request: [String: Any] = ["rows": rows, "categorical": categorical]
        request["dense"] = dense.map { $0.map(Double.init) } ?? NSNull()
        let inputs = folder + "/inputs.json"
        let outputs = folder + "/outputs.json"
        try JSONSerialization.data(withJSONObject: request).write(to: URL(fileURLWithPath: inputs))
        let result = python([script, model, inputs, outputs])
        guard result.status == 0 else { throw Failure(description: "run_onnx.py failed (\(result.status)): \(result.output)") }
        let data = try Data(contentsOf: URL(fileURLWithPath: outputs))
        guard let decoded = try JSONSerialization.jsonObject(with: data) as? [String: [Double]] else {
            throw Failure(description: "\(outputs): expected an object of number lists")
        }
        return decoded
    }

    private static var script: String {
        // `.copy("Resources")` keeps the folder; where the bundle's resource URL points differs by platform.
        let base = Bundle.module.resourceURL!
        let nested = base.appendingPathComponent("Resources/run_onnx.py").path
        return FileManager.default.fileExists(atPath: nested) ? nested : base.appendingPathComponent("run_onnx.py").path
    }

    private static func python(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return (-1, "cannot start python3: \(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
