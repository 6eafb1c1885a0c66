import Foundation
import Testing

@testable import FunnelData

/// A fresh temporary folder, removed when released.
private final class Folder {
    let path = NSTemporaryDirectory() + "funnel-vectors-\(UUID().uuidString)"
    init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path + "/" + name, atomically: false, encoding: .utf8)
        return path + "/" + name
    }
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
        return path + "/" + name
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The bytes of a `.npy` file of format `version` holding `values` with the given header fields.
private func numPy(
    version: UInt8 = 1, descr: String = "<f4", shape: String, fortran: Bool = false, values: [Double], magic: Bool = true
) -> [UInt8] {
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
    let prefix = version == 1 ? 10 : 12
    while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = (magic ? [0x93] : [0x94]) + Array("NUMPY".utf8) + [version, 0]
    let length = header.utf8.count
    bytes += version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)] : (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
    bytes += Array(header.utf8)
    for value in values {
        if descr == "<f8" {
            bytes += (0..<8).map { UInt8((value.bitPattern >> (8 * UInt64($0))) & 0xFF) }
        } else {
            bytes += (0..<4).map { UInt8((Float(value).bitPattern >> (8 * UInt32($0))) & 0xFF) }
        }
    }
    return bytes
}

/// The refusal's message, or "" when `body` does not throw.
private func refusal(_ body: () throws -> ItemVectors) -> String {
    do {
        _ = try body()
        return ""
    } catch {
        return "\(error)"
    }
}

@Suite struct ItemVectorsTests {
    @Test func readsCSVWithAndWithoutItemColumn() throws {
        let folder = try Folder()
        let plain = try ItemVectors.read(path: try folder.write("plain.csv", "a,b\n1,2\n3,4.5\n"), itemCount: 2)
        #expect(plain.dimensions == 2 && plain.values == [1, 2, 3, 4.5])
        let keyed = try ItemVectors.read(path: try folder.write("keyed.csv", "item,a\n1,7\n2,8\n3,9\n"), itemCount: 3)
        #expect(keyed.dimensions == 1 && keyed.values == [7, 8, 9])
        #expect(Array(keyed.vector(item: 2)) == [8])
    }

    @Test func csvRefusals() throws {
        let folder = try Folder()
        let short = try folder.write("short.csv", "a,b\n1,2\n")
        let message = refusal { try ItemVectors.read(path: short, itemCount: 3) }
        #expect(message.contains("short.csv") && message.contains("1 rows") && message.contains("3 rows"))
        let long = try folder.write("long.csv", "a\n1\n2\n3\n")
        let longMessage = refusal { try ItemVectors.read(path: long, itemCount: 2) }
        #expect(longMessage.contains("long.csv:4") && longMessage.contains("2 rows"))
        let nan = try folder.write("nan.csv", "a,b\n1,2\n3,nan\n")
        let nanMessage = refusal { try ItemVectors.read(path: nan, itemCount: 2) }
        #expect(nanMessage.contains("nan.csv:3:2") && nanMessage.contains("finite"))
        let infinite = try folder.write("inf.csv", "a,b\n1,1e999\n3,4\n")
        #expect(refusal { try ItemVectors.read(path: infinite, itemCount: 2) }.contains("inf.csv:2:2"))
        let ragged = try folder.write("ragged.csv", "a,b\n1,2\n3\n")
        let raggedMessage = refusal { try ItemVectors.read(path: ragged, itemCount: 2) }
        #expect(raggedMessage.contains("ragged.csv:3") && raggedMessage.contains("found 1 fields, expected 2"))
        let disordered = try folder.write("order.csv", "item,a\n2,1\n1,2\n")
        let orderMessage = refusal { try ItemVectors.read(path: disordered, itemCount: 2) }
        #expect(orderMessage.contains("order.csv:2:1") && orderMessage.contains("item id 1"))
    }

    @Test func readsNumPyVersionsAndWidths() throws {
        let folder = try Folder()
        let single = try folder.write("one.npy", bytes: numPy(shape: "(2, 3)", values: [1, 2, 3, 4, 5, 6]))
        #expect(try ItemVectors.read(path: single, itemCount: 2).values == [1, 2, 3, 4, 5, 6])
        for version: UInt8 in [2, 3] {
            let double = try folder.write("two.npy", bytes: numPy(version: version, descr: "<f8", shape: "(3, 1)", values: [0.5, -1, 2]))
            let vectors = try ItemVectors.read(path: double, itemCount: 3)
            #expect(vectors.dimensions == 1 && vectors.values == [0.5, -1, 2])
        }
    }

    @Test func numPyRefusals() throws {
        let folder = try Folder()
        let count = try folder.write("count.npy", bytes: numPy(shape: "(2, 2)", values: [1, 2, 3, 4]))
        let countMessage = refusal { try ItemVectors.read(path: count, itemCount: 5) }
        #expect(countMessage.contains("count.npy") && countMessage.contains("2 rows") && countMessage.contains("expected 5"))
        let nan = try folder.write("nan.npy", bytes: numPy(shape: "(2, 2)", values: [1, 2, 3, .nan]))
        let nanMessage = refusal { try ItemVectors.read(path: nan, itemCount: 2) }
        #expect(nanMessage.contains("nan.npy") && nanMessage.contains("row 1 (item 2), column 1"))
        let magic = try folder.write("magic.npy", bytes: numPy(shape: "(1, 1)", values: [1], magic: false))
        #expect(refusal { try ItemVectors.read(path: magic, itemCount: 1) }.contains("magic"))
        let dtype = try folder.write("dtype.npy", bytes: numPy(descr: "<i4", shape: "(1, 1)", values: [1]))
        #expect(refusal { try ItemVectors.read(path: dtype, itemCount: 1) }.contains("'<f4' or '<f8'"))
        let fortran = try folder.write("fortran.npy", bytes: numPy(shape: "(1, 1)", fortran: true, values: [1]))
        #expect(refusal { try ItemVectors.read(path: fortran, itemCount: 1) }.contains("C order"))
        let rank = try folder.write("rank.npy", bytes: numPy(shape: "(3,)", values: [1, 2, 3]))
        #expect(refusal { try ItemVectors.read(path: rank, itemCount: 3) }.contains("2-D"))
        let truncated = try folder.write("short.npy", bytes: Array(numPy(shape: "(2, 2)", values: [1, 2, 3, 4]).dropLast(3)))
        #expect(refusal { try ItemVectors.read(path: truncated, itemCount: 2) }.contains("truncated"))
        let version = try folder.write("v9.npy", bytes: numPy(version: 9, shape: "(1, 1)", values: [1]))
        #expect(refusal { try ItemVectors.read(path: version, itemCount: 1) }.contains("version 9"))
    }

    @Test func sideFeaturesAreMultiHotPlusTagTFIDF() throws {
        let folder = try Folder()
        _ = try folder.write("items.csv", "id,raw\n1,10\n2,20\n3,30\n4,40\n")
        let movies = try folder.write(
            "movies.csv", "movieId,title,genres\n10,\"A, the film\",Drama|Comedy\n20,B,Drama\n30,C,Comedy\n99,Z,Horror\n")
        let tags = try folder.write("tags.csv", "userId,movieId,tag\n1,10, Funny \n2,30,funny\n3,20,rare\n4,30,dark\n5,20,dark\n")
        let side = try ItemSideFeatures(
            dataset: folder.path, features: movies, multiValued: ["genres"], tags: tags, minimumTagCount: 2)
        #expect(side.blocks.map(\.name) == ["genres", "tags"] && side.blocks.map(\.width) == [2, 2])
        #expect(side.itemsWithoutFeatures == 1, "item 4 (raw 40) has no row and no tag")
        let vectors = side.vectors
        // Columns: Comedy, Drama, dark, funny.
        #expect(Array(vectors.vector(item: 1)) == [1, 1, 0, 1])
        #expect(Array(vectors.vector(item: 4)) == [0, 0, 0, 0])
        let third = Array(vectors.vector(item: 3))
        #expect(third[0] == 1 && third[1] == 0 && abs(third[2] * third[2] + third[3] * third[3] - 1) < 1e-6)
        #expect(abs(third[2] - third[3]) < 1e-6, "dark and funny each tag two items: equal idf")
        #expect(Array(vectors.vector(item: 2)) == [0, 1, 1, 0], "'rare' is seen once and dropped")
    }

    @Test func trainingFlagsCoverTrainHistoriesAndTargetsOnly() throws {
        // User 1: items 10, 11, 12, 13 → train 10 → 11, validation target 12, test target 13.
        // User 2: items 10, 14, 15 → train has only 10 (no train row), validation 14, test 15.
        let folder = try Folder()
        let log = try folder.write("log.csv", "user,item,timestamp\n1,10,1\n1,11,2\n1,12,3\n1,13,4\n2,10,1\n2,14,2\n2,15,3\n")
        let sequences = try LeaveOneOutSequences(
            interactions: try LeaveOneOutSequences.readInteractions(path: log), minimumInteractions: 3)
        let dataset = try sequences.write(to: folder.path + "/sequences", name: "sequences", source: log)
        let itemCount = dataset.vocabulary(for: "target")!.size - 1
        let flags = try dataset.trainingItemFlags(itemCount: itemCount)
        let keys = try ItemSideFeatures.itemKeys(directory: folder.path + "/sequences").index
        let trained = Set(keys.filter { flags[$0.value] }.map(\.key))
        #expect(trained == ["10", "11"], "validation and test targets (12 to 15) are not training items")
        #expect(flags[0] == false && flags.count == itemCount + 1)
    }
}
