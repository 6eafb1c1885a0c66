/// A benchmark option outside what the measurement can use: the option as the command line
/// spells it, what it must be, and the value given. `funnel bench` prints it as the error.
public struct BenchmarkOptionError: Error, CustomStringConvertible, Equatable {
    /// The command-line option, `--segment-batches`.
    public var option: String
    /// What the option must be, "at least 1".
    public var expected: String
    /// The value given.
    public var given: String

    public init(_ option: String, expected: String, given: some CustomStringConvertible) {
        self.option = option
        self.expected = expected
        self.given = given.description
    }

    public var description: String { "\(option): expected \(expected), got \(given)" }

    /// Throws when `value < minimum`.
    static func require(_ option: String, _ value: Int, atLeast minimum: Int) throws {
        if value < minimum { throw BenchmarkOptionError(option, expected: "at least \(minimum)", given: value) }
    }
}
