import Foundation
import FunnelData
import FunnelModels
import FunnelTraining
import SwiftProtobuf

/// Exports the inference graph of a trained feature model — Funnel ids and dense values in,
/// probabilities out — as an ONNX model (IR version 8, opset 17 of `ai.onnx`), with a JSON
/// vocabulary file beside it (``ONNXVocabularyFile``). docs/onnx.md describes the contract.
///
/// Graph contract (`N` is a symbolic batch dimension):
/// - inputs: one int64 tensor `[N]` per categorical column of the model, named exactly as the
///   column (side-table columns `"side.column"`), holding Funnel ids (after the vocabulary;
///   each in `0 ..< vocabulary size`); one float tensor `dense` `[N, D]` with the model's dense
///   columns in the model's order (absent when the model reads none);
/// - outputs: per model head `<head>` = σ(logit) `[N]` float; per binary evaluation task scored by
///   a product of several heads `<task>` = that product `[N]` (ESMM's `ctcvr` = σ(ctr)·σ(cvr)),
///   `<task>_product` when the task shares a head's name, `score` when the task has no name.
///
/// Inference mode throughout: dropout is the identity, BatchNorm uses its running statistics.
/// Supported: ``supportedKinds``; anything else is refused, named.
public enum ONNXExport {
    /// The ONNX IR version written.
    public static let irVersion: Int64 = 8
    /// The `ai.onnx` operator set version written.
    public static let opsetVersion: Int64 = 17
    /// The name of the dense input.
    public static let denseInput = "dense"

    /// The model kinds whose inference graph can be exported.
    public static let supportedKinds: [ModelKind] = [
        .logisticRegression, .mlp, .naiveCVR, .esmm, .escm2IPW, .escm2DR, .dcmt, .nise, .chorusCVR,
        .sharedBottom, .mmoe, .ple,
    ]

    /// A refusal or failure of the export, with the model, column or file it concerns.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// One graph input or output: its name, element type (`int64` or `float`) and shape (`N`
    /// for the batch).
    public struct Port: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var elementType: String
        public var shape: [String]

        public init(name: String, elementType: String, shape: [String]) {
            self.name = name
            self.elementType = elementType
            self.shape = shape
        }

        public var description: String { "\(name): \(elementType) [\(shape.joined(separator: ", "))]" }
    }

    /// An exported model in memory.
    public struct Result {
        /// The ONNX model.
        public var model: Onnx_ModelProto
        /// The vocabulary description of the categorical inputs.
        public var vocabulary: ONNXVocabularyFile
        public var inputs: [Port]
        public var outputs: [Port]

        /// The model's protobuf encoding (the `.onnx` file's bytes).
        public func serialized() throws -> Data {
            try model.serializedData()
        }
    }

    /// What ``write(_:to:)`` wrote.
    public struct Summary: Sendable {
        public var modelPath: String
        public var vocabularyPath: String
        public var inputs: [Port]
        public var outputs: [Port]
        public var bytes: Int
    }

    /// Builds the ONNX model of a trained model.
    /// - Throws: ``Error`` for a model kind outside ``supportedKinds`` or a configuration the
    ///   graph cannot express (RAR augmentation, a GELU activation).
    public static func export(_ trained: TrainedModel) throws -> Result {
        let kind = trained.configuration.model
        guard supportedKinds.contains(kind) else {
            throw Error(description:
                "model '\(kind.rawValue)' (checkpoint \(trained.checkpoint)) cannot be exported to ONNX; supported kinds: "
                    + supportedKinds.map(\.rawValue).joined(separator: ", "))
        }
        let builder = ONNXGraphBuilder()
        let exported = try ONNXModelGraph.build(trained.model, kind: kind, into: builder)
        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = opsetVersion
        model.opsetImport = [opset]
        model.producerName = "funnel"
        model.producerVersion = "1"
        model.domain = "funnel"
        model.modelVersion = 1
        model.docString = "Funnel \(kind.rawValue): ids and dense values → probabilities (docs/onnx.md)"
        model.graph = builder.graph(name: "funnel_\(kind.rawValue)", documentation: model.docString)
        model.metadataProps = [("funnel.model", kind.rawValue), ("funnel.checkpoint", trained.checkpoint)].map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        let vocabulary = try ONNXVocabularyFile(
            dataset: trained.dataset, model: kind.rawValue, categorical: exported.categorical, dense: exported.dense)
        let inputs = exported.categorical.map { Port(name: $0, elementType: "int64", shape: ["N"]) }
            + (exported.dense.isEmpty ? [] : [Port(name: denseInput, elementType: "float", shape: ["N", "\(exported.dense.count)"])])
        let outputs = exported.outputs.map { Port(name: $0, elementType: "float", shape: ["N"]) }
        return Result(model: model, vocabulary: vocabulary, inputs: inputs, outputs: outputs)
    }

    /// Exports and writes `path` (the ONNX model) and ``vocabularyPath(forModel:)`` beside it,
    /// each atomically.
    public static func write(_ trained: TrainedModel, to path: String) throws -> Summary {
        let result = try export(trained)
        let bytes = try result.serialized()
        let vocabularyPath = vocabularyPath(forModel: path)
        try AtomicFile.write(bytes, to: path)
        try AtomicFile.write(try result.vocabulary.encoded(), to: vocabularyPath)
        return Summary(modelPath: path, vocabularyPath: vocabularyPath, inputs: result.inputs, outputs: result.outputs, bytes: bytes.count)
    }

    /// The vocabulary file beside a model file: the same stem with `.vocabulary.json`
    /// (`out/model.onnx` → `out/model.vocabulary.json`).
    public static func vocabularyPath(forModel path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let stem = url.pathExtension.isEmpty ? url : url.deletingPathExtension()
        let folder = (path as NSString).deletingLastPathComponent
        let name = stem.lastPathComponent + ".vocabulary.json"
        return folder.isEmpty ? name : folder + "/" + name
    }

    /// Reads an ONNX model file back.
    public static func readModel(_ path: String) throws -> Onnx_ModelProto {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Error(description: "\(path): cannot be read (no such file, or not readable)")
        }
        do {
            return try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw Error(description: "\(path): not an ONNX model (\(error))")
        }
    }
}
