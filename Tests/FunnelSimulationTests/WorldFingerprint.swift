import Foundation
import FunnelData

@testable import FunnelSimulation

/// A 64-bit FNV-1a fingerprint of everything a simulated world holds: its schema (sorted JSON)
/// and every value of every table, tables by name, columns in schema order. It does not depend
/// on dictionary order or on the thread count, so it can be pinned across runs and machines.
struct WorldFingerprint {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    init(_ world: SimulatedWorld) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        add(bytes: Array(try encoder.encode(world.schema)))
        for (name, table) in world.splits.sorted(by: { $0.key < $1.key }) {
            add(table, named: name)
        }
        for (name, table) in world.sideTables.sorted(by: { $0.key < $1.key }) {
            add(table, named: name)
        }
    }

    private mutating func add(bytes: [UInt8]) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01B3
        }
    }

    private mutating func add<Element>(_ values: [Element]) {
        values.withUnsafeBytes { add(bytes: Array($0)) }
    }

    private mutating func add(_ table: Table, named name: String) {
        add(bytes: Array("\(name):\(table.rowCount)".utf8))
        for column in table.columns {
            add(bytes: Array(column.schema.name.utf8))
            switch column.values {
            case .ids(let ids): add(ids.array)
            case .floats(let floats): add(floats.array)
            case .integers(let integers): add(integers.array)
            case .lists(let ids, let offsets): add(ids.array); add(offsets.array)
            case .timestampLists(let values, let offsets): add(values.array); add(offsets.array)
            }
        }
    }
}
