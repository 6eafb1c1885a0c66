import Foundation

/// Adopts the synthetic entire-space log that `shared/bench/torch_esmm.py --dump DIR` writes
/// (`train.csv`, `test.csv`) as a canonical folder, without copying its rows.
///
/// The files already are canonical CSV: `f0…f19` (per-field ids, 0-based), `d0…d39` (dense),
/// `click`, `conversion` (already click ∧ conversion) and the generator's `true_ctr` and
/// `true_ctcvr` (role `truth`). They are hundreds of megabytes, so they are hard-linked into the
/// output (a byte copy where linking fails, for example across file systems) and only
/// `schema.json` is written. The end of every row is read once to check its 0/1 labels and to
/// count them for the report; the loader checks the rest when the folder is loaded.
struct ESMMDumpConverter {
    let source: String

    /// The generator's vocabulary sizes (`np.unique(np.geomspace(10, 100_000, 20).astype(int))`).
    static let vocabularySizes = [
        10, 16, 26, 42, 69, 112, 183, 297, 483, 784, 1274, 2069, 3359, 5455, 8858, 14384, 23357,
        37926, 61584,
        100_000,
    ]
    static let denseCount = 40

    static var columns: [ColumnSchema] {
        vocabularySizes.enumerated().map { field, size in
            ColumnSchema(name: "f\(field)", kind: .categorical, vocabulary: .identity(size: size))
        } + (0..<denseCount).map { ColumnSchema(name: "d\($0)", kind: .dense) } + [
            ColumnSchema(name: "click", kind: .label),
            ColumnSchema(name: "conversion", kind: .label),
            ColumnSchema(name: "true_ctr", kind: .dense, role: .truth),
            ColumnSchema(name: "true_ctcvr", kind: .dense, role: .truth),
        ]
    }

    func convert(into output: inout ConversionOutput) throws {
        for split in ["train", "test"] {
            let file = split + ".csv"
            let counts = try Self.scan(output.sourcePath(file), name: split)
            try Self.place(output.sourcePath(file), at: output.directory + "/" + file)
            output.addSplit(counts)
        }
        output.name = "esmm-synthetic"
        output.columns = Self.columns
        output.notes = """
            Synthetic entire-space log written by shared/bench/torch_esmm.py --dump (no licence \
            restrictions: generated data). 20 categorical fields f0..f19 with per-field 0-based ids and \
            identity vocabularies of the generator's sizes \(Self.vocabularySizes), 40 dense features \
            d0..d39 (standard normal), labels click and conversion (conversion is already click∧conversion, \
            the CTCVR label), and the generator's true_ctr and true_ctcvr probabilities as role truth (oracle \
            only, never model inputs). Splits train and test are the dump's train.csv and test.csv, \
            hard-linked (or byte-copied where linking fails) unchanged.
            """
    }

    /// Checks the header and every row's labels, and counts rows and positives.
    ///
    /// Only the end of each line is read (the labels sit 4th and 3rd from the end), so the scan
    /// costs one `memchr` per row; the loader checks every other field, and the field count,
    /// when the folder is loaded.
    static func scan(_ path: String, name: String) throws -> ConversionReport.TableCount {
        let file = try MappedFile(path: path)
        let count = file.bytes.count
        guard let base = file.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
            let newline = memchr(base, 0x0A, count).map({
                UnsafeRawPointer($0) - UnsafeRawPointer(base)
            })
        else {
            throw DataError.unreadable(path: path, reason: "no header line")
        }
        let header = String(
            decoding: UnsafeBufferPointer(start: base, count: newline), as: UTF8.self)
        guard
            header.trimmingCharacters(in: .whitespacesAndNewlines)
                == columns.map(\.name).joined(separator: ",")
        else {
            throw DataError.badValue(
                FileLocation(file: path, line: 1), found: String(header.prefix(120)),
                expected:
                    "the header of torch_esmm.py --dump (\(columns.count) columns f0..f19,d0..d39,click,…)"
            )
        }
        var (rows, clicks, conversions, line) = (0, 0, 0, 1)
        var position = newline + 1
        while position < count {
            line += 1
            guard let found = memchr(base + position, 0x0A, count - position) else {
                throw DataError.badValue(
                    FileLocation(file: path, line: line), found: "a last line without a line end",
                    expected: "complete rows")
            }
            let lineEnd = UnsafeRawPointer(found) - UnsafeRawPointer(base)
            defer { position = lineEnd + 1 }
            if lineEnd == position || (lineEnd == position + 1 && base[position] == 0x0D) {
                continue
            }  // blank
            // The last four commas, from the end: click lies between the 4th and the 3rd.
            var commas = (third: 0, fourth: 0, found: 0)
            var (cursor, second) = (lineEnd, 0)
            while cursor > position && commas.found < 4 {
                cursor -= 1
                guard base[cursor] == 0x2C else { continue }
                commas.found += 1
                switch commas.found {
                case 2: second = cursor
                case 3: commas.third = cursor
                case 4: commas.fourth = cursor
                default: break
                }
            }
            guard commas.found == 4 else {
                throw DataError.wrongFieldCount(
                    FileLocation(file: path, line: line), found: commas.found + 1,
                    expected: columns.count)
            }
            let labels: [(label: Int, start: Int, end: Int)] = [
                (0, commas.fourth + 1, commas.third), (1, commas.third + 1, second),
            ]
            for (label, start, end) in labels {
                let value = end - start == 1 ? base[start] : 0
                guard value == 0x30 || value == 0x31 else {
                    let column = columns.count - 4 + label
                    throw DataError.badValue(
                        FileLocation(
                            file: path, line: line, column: column + 1,
                            columnName: columns[column].name),
                        found: String(
                            decoding: UnsafeBufferPointer(start: base + start, count: end - start),
                            as: UTF8.self),
                        expected: "0 or 1")
                }
                if value == 0x31 {
                    if label == 0 { clicks += 1 } else { conversions += 1 }
                }
            }
            rows += 1
        }
        func labelCount(_ label: String, _ positives: Int) -> ConversionReport.LabelCount {
            .init(
                name: label, positives: positives, missing: 0,
                rate: rows == 0 ? 0 : Double(positives) / Double(rows))
        }
        return .init(
            name: name, file: name + ".csv", rows: rows,
            labels: [labelCount("click", clicks), labelCount("conversion", conversions)])
    }

    /// Puts the file at `target` by a hard link, or by a byte copy where linking fails; either
    /// goes to a temporary name first and is renamed over the target.
    static func place(_ path: String, at target: String) throws {
        var (sourceStatus, targetStatus) = (stat(), stat())
        if stat(path, &sourceStatus) == 0, stat(target, &targetStatus) == 0,
            sourceStatus.st_dev == targetStatus.st_dev, sourceStatus.st_ino == targetStatus.st_ino
        {
            return  // already the same file (converted in place, or linked before)
        }
        let temporary =
            target
            + ".tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        if link(path, temporary) != 0 {
            do {
                try FileManager.default.copyItem(atPath: path, toPath: temporary)
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw DataError.unreadable(
                    path: path,
                    reason: "cannot link or copy it to \(target): \(error.localizedDescription)")
            }
        }
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw DataError.unreadable(
                path: target, reason: "cannot rename the temporary file: \(reason)")
        }
    }
}
