import Foundation
import FunnelTensor
import SwiftProtobuf

/// Accumulates the nodes, float and int64 initializers and typed inputs/outputs of one ONNX
/// graph (opset 17), naming every value uniquely. The layer translations
/// (``ONNXGraphBuilder/linear(_:_:name:)`` and the others in `ONNXGraphBuilder+Layers.swift`)
/// are built on ``node(_:_:attributes:name:)``.
///
/// Every value is a tensor whose first dimension is the symbolic batch `N` unless it is an
/// initializer.
final class ONNXGraphBuilder {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    private(set) var inputs: [Onnx_ValueInfoProto] = []
    private(set) var outputs: [Onnx_ValueInfoProto] = []
    private var usedNames: Set<String> = []
    private var int64Constants: [[Int64]: String] = [:]

    /// The symbolic batch dimension of every input and output.
    static let batchDimension = "N"

    /// A fresh value name starting with `base` (`base`, `base_1`, …).
    func fresh(_ base: String) -> String {
        var name = base
        var index = 0
        while usedNames.contains(name) {
            index += 1
            name = "\(base)_\(index)"
        }
        usedNames.insert(name)
        return name
    }

    /// Declares a graph input of element type `type` and shape `[N] + trailing`.
    func input(_ name: String, type: Onnx_TensorProto.DataType, trailing: [Int] = []) {
        usedNames.insert(name)
        inputs.append(Self.valueInfo(name, type: type, trailing: trailing))
    }

    /// Declares `value` a float graph output named `name` of shape `[N]` (an Identity node
    /// renames it when the names differ).
    func output(_ value: String, as name: String) {
        var produced = value
        if value != name {
            usedNames.insert(name)
            nodes.append(Self.makeNode("Identity", [value], [name], attributes: [], name: "output_\(name)"))
            produced = name
        }
        outputs.append(Self.valueInfo(produced, type: .float, trailing: []))
    }

    /// A float initializer holding `values` (row-major) with shape `shape`; returns its name.
    func constant(_ base: String, shape: [Int], values: [Float]) -> String {
        precondition(shape.reduce(1, *) == values.count, "Funnel: ONNX initializer \(base) of shape \(shape) with \(values.count) values")
        var tensor = Onnx_TensorProto()
        tensor.name = fresh(base)
        tensor.dims = shape.map(Int64.init)
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.rawData = values.map(\.bitPattern.littleEndian).withUnsafeBytes { Data($0) }
        initializers.append(tensor)
        return tensor.name
    }

    /// A float initializer holding a Funnel tensor's values and shape.
    func constant(_ base: String, _ tensor: Tensor) -> String {
        constant(base, shape: tensor.shape, values: tensor.scalars)
    }

    /// An int64 vector initializer (shapes and axes), shared between equal uses.
    func int64Vector(_ values: [Int64]) -> String {
        if let name = int64Constants[values] { return name }
        var tensor = Onnx_TensorProto()
        tensor.name = fresh("const_i64_" + values.map { $0 < 0 ? "m\(-$0)" : "\($0)" }.joined(separator: "_"))
        tensor.dims = [Int64(values.count)]
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.rawData = values.map(\.littleEndian).withUnsafeBytes { Data($0) }
        initializers.append(tensor)
        int64Constants[values] = tensor.name
        return tensor.name
    }

    /// Appends one node of the standard domain and returns its (single) output's name.
    @discardableResult
    func node(_ operatorType: String, _ inputs: [String], attributes: [Onnx_AttributeProto] = [], name: String? = nil) -> String {
        let output = fresh(name ?? operatorType.lowercased())
        nodes.append(Self.makeNode(operatorType, inputs, [output], attributes: attributes, name: "node_\(output)"))
        return output
    }

    /// The finished graph.
    func graph(name: String, documentation: String) -> Onnx_GraphProto {
        var graph = Onnx_GraphProto()
        graph.name = name
        graph.docString = documentation
        graph.node = nodes
        graph.initializer = initializers
        graph.input = inputs
        graph.output = outputs
        return graph
    }

    // MARK: Attributes

    static func attribute(_ name: String, int value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    static func attribute(_ name: String, float value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }

    // MARK: Construction

    private static func makeNode(
        _ operatorType: String, _ inputs: [String], _ outputs: [String], attributes: [Onnx_AttributeProto], name: String
    ) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = operatorType
        node.input = inputs
        node.output = outputs
        node.attribute = attributes
        node.name = name
        return node
    }

    private static func valueInfo(_ name: String, type: Onnx_TensorProto.DataType, trailing: [Int]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = batchDimension
        shape.dim = [batch] + trailing.map { size in
            var dimension = Onnx_TensorShapeProto.Dimension()
            dimension.dimValue = Int64(size)
            return dimension
        }
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(type.rawValue)
        tensorType.shape = shape
        var typeProto = Onnx_TypeProto()
        typeProto.tensorType = tensorType
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = typeProto
        return info
    }
}
