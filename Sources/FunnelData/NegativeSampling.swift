import FunnelTensor

/// Negatives drawn for every row of a training batch: `count` ids of `column`'s vocabulary (the
/// catalogue), uniformly over its real values (a reserved id 0 left out), each drawn again when
/// it equals the row's own id. The draws come from the step's generator, so a resumed run draws
/// the same negatives (``RandomGenerator/init(seed:epoch:step:)``).
///
/// A batch holds them as `negatives[column]`, `[size × count]` row-major.
public struct NegativeSampling: Sendable, Codable, Equatable {
    /// The categorical column whose vocabulary is the catalogue (e.g. `item`).
    public var column: String
    /// Negatives per row.
    public var count: Int

    public init(column: String, count: Int) {
        self.column = column
        self.count = count
    }

    /// The catalogue's id range, checked against a dataset.
    func catalogue(in dataset: Dataset) throws -> Range<Int32> {
        guard let vocabulary = dataset.vocabulary(for: column) else {
            throw DataError.missingRequirement(dataset: dataset.schema.name, column: column, reason: "negative sampling needs its vocabulary")
        }
        let catalogue = vocabulary.firstValueID..<Int32(vocabulary.size)
        guard catalogue.count >= 2, count > 0 else {
            throw DataError.missingRequirement(
                dataset: dataset.schema.name, column: column,
                reason: "negative sampling needs at least 2 catalogue ids and a positive count (\(catalogue.count) ids, count \(count))")
        }
        return catalogue
    }

    /// `count` draws per row from `catalogue`, none equal to the row's own id.
    static func draw(
        for own: [Int32], count: Int, catalogue: Range<Int32>, using random: inout RandomGenerator
    ) -> [Int32] {
        let width = UInt64(catalogue.count)
        var negatives = [Int32](repeating: 0, count: own.count * count)
        for (row, id) in own.enumerated() {
            for slot in 0..<count {
                var drawn: Int32
                repeat {
                    drawn = catalogue.lowerBound + Int32(random.next() % width)
                } while drawn == id
                negatives[row * count + slot] = drawn
            }
        }
        return negatives
    }
}
