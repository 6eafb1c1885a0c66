import ArgumentParser
import Foundation
import FunnelONNX
import FunnelTraining

/// `funnel export`: a trained model in a format other runtimes read.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a trained model for other runtimes.",
        subcommands: [ExportONNXCommand.self])
}

/// `funnel export onnx --checkpoint DIR --out FILE`: the inference graph as ONNX
/// (``FunnelONNX/ONNXExport``; docs/onnx.md).
struct ExportONNXCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onnx",
        abstract: "Export a feature model's inference graph (ids and dense values → probabilities) to ONNX.",
        discussion: """
            Writes FILE (ONNX IR 8, opset 17) and, beside it, <stem>.vocabulary.json: how raw values map to the ids the graph reads. Inputs: one int64 [N] tensor per categorical column (named as the column), a float [N, D] tensor 'dense'; outputs: each head's probability [N] and each task's product (such as ctcvr). Supported: \(ONNXExport.supportedKinds.map(\.rawValue).joined(separator: ", ")). See docs/onnx.md.

            Example: funnel export onnx --checkpoint runs/esmm --out esmm.onnx
            """)

    @Option(help: "A checkpoint folder, or a checkpoint directory (its newest checkpoint).")
    var checkpoint: String

    @Option(help: "The ONNX file to write.")
    var out: String

    @Option(help: "A dataset folder to use instead of the one the run trained on.")
    var data: String?

    func run() throws {
        let trained = try TrainedModel.load(checkpoint: checkpoint, data: data)
        let summary = try ONNXExport.write(trained, to: out)
        print("wrote \(summary.modelPath) (\(summary.bytes) bytes, \(trained.configuration.model.rawValue), opset \(ONNXExport.opsetVersion))")
        print("inputs:")
        for input in summary.inputs { print("  \(input)") }
        print("outputs:")
        for output in summary.outputs { print("  \(output)") }
        print("vocabulary: \(summary.vocabularyPath)")
    }
}
