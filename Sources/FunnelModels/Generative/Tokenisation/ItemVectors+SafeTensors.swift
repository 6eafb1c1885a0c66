import FunnelData
import FunnelNN

extension ItemVectors {
    /// The tensor SASRec's checkpoints keep their item embeddings in (`model.safetensors`).
    public static let modelItemTable = "itemTable.table"

    /// Item vectors from a tensor of a `.safetensors` file: a trained Funnel model's item
    /// embeddings (sequential.md §4.1 step 1 with the model's own table in place of a text
    /// encoder) or vectors saved by another tool.
    ///
    /// A `[N + 2, d]` table (SASRec: row 0 unused, row N + 1 padding) gives rows 1 … N; a
    /// `[N, d]` tensor is taken as is.
    ///
    /// - Parameter tensor: the tensor's name; `nil` takes ``modelItemTable`` when present, else
    ///   the file's only 2-D tensor.
    /// - Throws: ``DataError/unreadable(path:reason:)`` for an unreadable file, a missing name
    ///   (listing the 2-D tensors there), a tensor that is not 2-D or of floats, another row
    ///   count than N or N + 2 (naming the tensor and both counts), or a non-finite value.
    public static func readSafeTensors(path: String, tensor: String?, itemCount: Int) throws -> ItemVectors {
        let entries: [String: SafeTensors.Entry]
        do {
            entries = try SafeTensors.read(file: path).entries
        } catch {
            throw DataError.unreadable(path: path, reason: "\(error)")
        }
        let matrices = entries.filter { $0.value.shape.count == 2 }.keys.sorted()
        let name: String
        if let tensor {
            name = tensor
        } else if entries[modelItemTable] != nil {
            name = modelItemTable
        } else if matrices.count == 1 {
            name = matrices[0]
        } else {
            throw DataError.unreadable(
                path: path, reason: "name the tensor with --tensor; the file's 2-D tensors are \(matrices.joined(separator: ", "))")
        }
        guard let entry = entries[name] else {
            throw DataError.unreadable(path: path, reason: "no tensor '\(name)'; the file's 2-D tensors are \(matrices.joined(separator: ", "))")
        }
        guard entry.shape.count == 2, entry.shape[1] >= 1, case .float32(let values) = entry.values else {
            throw DataError.unreadable(path: path, reason: "tensor '\(name)' has shape \(entry.shape); expected a 2-D float tensor [items, dimensions]")
        }
        let (rows, width) = (entry.shape[0], entry.shape[1])
        let first: Int
        switch rows {
        case itemCount + 2: first = 1
        case itemCount: first = 0
        default:
            throw DataError.unreadable(
                path: path,
                reason: "tensor '\(name)' has \(rows) rows; expected \(itemCount) (one per item) or \(itemCount + 2) (a model table with ids 0 and N + 1 = padding) for \(itemCount) items")
        }
        let slice = Array(values[(first * width)..<((first + itemCount) * width)])
        if let bad = slice.firstIndex(where: { !$0.isFinite }) {
            throw DataError.unreadable(
                path: path, reason: "tensor '\(name)' row \(first + bad / width) (item \(bad / width + 1)), column \(bad % width): \(slice[bad]); expected a finite number")
        }
        return ItemVectors(itemCount: itemCount, dimensions: width, values: slice, source: "\(path):\(name)")
    }
}
