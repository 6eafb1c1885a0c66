import Foundation

/// Every item's semantic ID: a tuple of `digits` codes, digit k drawn from its own codebook of
/// `digitSizes[k]` entries (sequential.md §4.1). Items are the ids 1 … N of a leave-one-out
/// sequence dataset (`funnel data sequences`); id 0 (padding) has no code.
///
/// Token layout (§4.1 step 4): digit k's code c is token `tokenOffset(k) + c + 1`, where digit
/// k's offset is the sum of the earlier digits' sizes, so digit k owns the disjoint range
/// `[offset(k) + 1, offset(k) + size(k)]`; token 0 is padding and `tokenCount − 1` is EOS. With
/// every digit of size 256 this is `token = c_k + 256 (k − 1) + 1` for 1-based k.
///
/// Saved with the dataset as `<name>.csv` (header `item,digit1,…,digitM`, one row per item in id
/// order) and `<name>.json` (this manifest); read with ``Dataset/semanticIDs(named:)``.
public struct SemanticIDs: Sendable, Equatable {
    /// How the codes were made, e.g. `residualKMeans`, `rqvae`, `productQuantisation`.
    public var method: String
    /// M: codes per item.
    public var digits: Int { digitSizes.count }
    /// Each digit's codebook size (a collision digit may be smaller than the others).
    public var digitSizes: [Int]
    /// Whether the digits are hierarchical, coarse to fine (residual quantisation), rather than
    /// unordered (product quantisation).
    public var ordered: Bool
    /// N: items 1 … N.
    public var itemCount: Int
    /// How many items the quantiser was trained on (those seen in training sequences).
    public var trainedItems: Int
    /// Where the item vectors came from (a file, a side table, a model's embeddings).
    public var source: String
    /// `[(N + 1) · M]`: item i's codes at `i·M ..< (i+1)·M`; row 0 is zeros.
    public var codes: [Int32]

    public init(method: String, digitSizes: [Int], ordered: Bool, trainedItems: Int, source: String, codes: [Int32]) {
        precondition(!digitSizes.isEmpty && digitSizes.allSatisfy { $0 > 0 }, "Funnel: semantic IDs need digits of positive size")
        precondition(codes.count % digitSizes.count == 0 && codes.count >= digitSizes.count, "Funnel: \(codes.count) codes do not fill rows of \(digitSizes.count)")
        self.method = method
        self.digitSizes = digitSizes
        self.ordered = ordered
        itemCount = codes.count / digitSizes.count - 1
        self.trainedItems = trainedItems
        self.source = source
        self.codes = codes
    }

    /// Item `item`'s code for digit `digit` (0-based), in `0 ..< digitSizes[digit]`.
    @inlinable public func code(item: Int, digit: Int) -> Int32 { codes[item * digits + digit] }

    /// Item `item`'s codes, `[M]`.
    public func codes(item: Int) -> ArraySlice<Int32> { codes[(item * digits)..<((item + 1) * digits)] }

    /// Tokens before digit `digit`'s range: the sum of the earlier digits' sizes.
    public func tokenOffset(digit: Int) -> Int { digitSizes[..<digit].reduce(0, +) }

    /// Item `item`'s token for digit `digit`: `tokenOffset(digit) + code + 1`.
    public func token(item: Int, digit: Int) -> Int32 {
        Int32(tokenOffset(digit: digit)) + code(item: item, digit: digit) + 1
    }

    /// Padding (0), every digit's codes, and EOS (the last).
    public var tokenCount: Int { digitSizes.reduce(0, +) + 2 }
    /// The EOS token.
    public var endToken: Int32 { Int32(tokenCount - 1) }
    /// The padding token.
    public static let paddingToken: Int32 = 0

    /// How many items share their tuple with an earlier item (0 when every tuple is unique).
    public var collisions: Int {
        var seen = Set<ArraySlice<Int32>>()
        var repeated = 0
        for item in 1...max(itemCount, 1) where item <= itemCount {
            if !seen.insert(codes(item: item)).inserted { repeated += 1 }
        }
        return repeated
    }
}

extension SemanticIDs {
    /// Writes `<directory>/<name>.csv` and `<name>.json`, each through a temporary file and a
    /// rename (the CSV first, so a manifest never names codes that are not there).
    public func write(directory: String, name: String = "semantic-ids") throws {
        var text = "item," + (1...digits).map { "digit\($0)" }.joined(separator: ",") + "\n"
        text.reserveCapacity(itemCount * digits * 4)
        for item in 1...max(itemCount, 1) where item <= itemCount {
            text += String(item)
            for value in codes(item: item) { text += "," + String(value) }
            text += "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: directory + "/" + name + ".csv")
        let manifest = Manifest(
            method: method, digitSizes: digitSizes, ordered: ordered, itemCount: itemCount, trainedItems: trainedItems,
            source: source)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(manifest), to: directory + "/" + name + ".json")
    }

    /// Reads `<directory>/<name>.json` and `<name>.csv`.
    ///
    /// - Throws: ``DataError`` naming the file (and line and column for the CSV): a missing
    ///   file, an unknown or missing manifest field, a header other than `item,digit1,…`, an item
    ///   id out of order, a code that is not an integer in `0 ..< digitSizes[k]`, or another
    ///   number of rows than the manifest's `itemCount`.
    public static func read(directory: String, name: String = "semantic-ids") throws -> SemanticIDs {
        let manifestPath = directory + "/" + name + ".json"
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw DataError.unreadable(path: manifestPath, reason: "no such file (write codes with `funnel data semantic-ids`)")
        }
        let manifest: Manifest
        do {
            try JSONChecker.check(
                data,
                shape: .object([
                    "method": .any, "digitSizes": .array(.integer), "ordered": .any, "itemCount": .integer,
                    "trainedItems": .integer, "source": .any,
                ]))
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw DataError.invalidSchema(path: manifestPath, reason: "\(error)")
        }
        guard !manifest.digitSizes.isEmpty, manifest.digitSizes.allSatisfy({ (1...65_536).contains($0) }), manifest.itemCount >= 0
        else {
            throw DataError.invalidSchema(
                path: manifestPath, reason: "digitSizes must list at least one size in 1 … 65536 and itemCount be ≥ 0")
        }
        let path = directory + "/" + name + ".csv"
        let table = try SourceTable(path: path)
        let expectedHeader = ["item"] + (1...manifest.digitSizes.count).map { "digit\($0)" }
        guard table.header == expectedHeader else {
            throw DataError.badValue(
                FileLocation(file: path, line: 1), found: table.header.joined(separator: ","),
                expected: "the header \(expectedHeader.joined(separator: ",")) (\(manifest.digitSizes.count) digits, as \(name).json says)")
        }
        let digits = manifest.digitSizes.count
        var codes = [Int32](repeating: 0, count: digits)
        codes.reserveCapacity((manifest.itemCount + 1) * digits)
        var item = 0
        var lastLine = 1
        try table.forEachRow { row in
            lastLine = row.line
            item += 1
            let range = row.range(0)
            guard FieldParsing.integer(row.base, range.lowerBound, range.upperBound) == Int64(item) else {
                throw row.failure(0, expected: "item id \(item) (rows list items 1 … N in order)")
            }
            for digit in 0..<digits {
                let range = row.range(digit + 1)
                guard let value = FieldParsing.integer(row.base, range.lowerBound, range.upperBound),
                    (0..<Int64(manifest.digitSizes[digit])).contains(value)
                else {
                    throw row.failure(digit + 1, expected: "a code in 0 ..< \(manifest.digitSizes[digit])")
                }
                codes.append(Int32(value))
            }
        }
        guard item == manifest.itemCount else {
            throw DataError.badValue(
                FileLocation(file: path, line: lastLine + 1), found: "\(item) rows",
                expected: "\(manifest.itemCount) rows, one per item (itemCount in \(name).json)")
        }
        return SemanticIDs(
            method: manifest.method, digitSizes: manifest.digitSizes, ordered: manifest.ordered,
            trainedItems: manifest.trainedItems, source: manifest.source, codes: codes)
    }

    /// The manifest `<name>.json`: everything but the codes.
    struct Manifest: Codable {
        var method: String
        var digitSizes: [Int]
        var ordered: Bool
        var itemCount: Int
        var trainedItems: Int
        var source: String
    }
}

extension Dataset {
    /// The semantic IDs saved in the dataset's folder as `<name>.csv` and `<name>.json`,
    /// checked against the target vocabulary (items 1 … N).
    public func semanticIDs(named name: String = "semantic-ids", target: String = "target") throws -> SemanticIDs {
        let codes = try SemanticIDs.read(directory: directory, name: name)
        if let vocabulary = vocabulary(for: target), vocabulary.size - 1 != codes.itemCount {
            throw DataError.unreadable(
                path: directory + "/" + name + ".csv",
                reason: "codes \(codes.itemCount) items; the dataset's '\(target)' vocabulary has \(vocabulary.size - 1)")
        }
        return codes
    }
}
