/// The checks of ``ModelConfiguration/validate()``: each refusal names the field's path under
/// `modelConfiguration`, its value and what was expected, before any layer is built (the
/// layers' preconditions would otherwise stop the process).
public struct ModelConfigurationCheck {
    /// The widest layer or embedding a configuration may ask for.
    public static let maximumWidth = 4096
    /// The longest sequence a configuration may ask for.
    public static let maximumLength = 100_000
    /// The most heads, experts, blocks or sampled negatives.
    public static let maximumCount = 1024

    /// The path of the configuration's fields (`modelConfiguration`, `modelConfiguration.base`).
    public let root: String

    public init(_ root: String = "modelConfiguration") {
        self.root = root
    }

    /// The check of a nested configuration (`network`, `base`, …).
    public func nested(_ field: String) -> ModelConfigurationCheck {
        ModelConfigurationCheck("\(root).\(field)")
    }

    func refusal(_ field: String, _ message: String) -> StrictJSON.Error {
        StrictJSON.Error(description: "field '\(root).\(field)': \(message)")
    }

    /// A size in `1...maximum`.
    public func positive(_ value: Int, _ field: String, maximum: Int = maximumWidth, what: String = "a size") throws {
        guard (1...maximum).contains(value) else { throw refusal(field, "\(value); expected \(what) in 1...\(maximum)") }
    }

    /// Layer widths, each in `1...maximumWidth` (`nonEmpty`: at least one).
    public func widths(_ values: [Int], _ field: String, nonEmpty: Bool = false) throws {
        if nonEmpty, values.isEmpty { throw refusal(field, "[] has no layer (expected at least one width)") }
        guard values.count <= 64 else { throw refusal(field, "\(values.count) layers; expected at most 64") }
        for (index, value) in values.enumerated() {
            try positive(value, "\(field)[\(index)]", what: "a layer width")
        }
    }

    /// A dropout probability in `[0, 1)`.
    public func dropout(_ value: Float, _ field: String) throws {
        guard value >= 0, value < 1 else { throw refusal(field, "\(value); expected a dropout probability in [0, 1)") }
    }

    /// A finite number >= 0 (a loss weight).
    public func nonNegative(_ value: Float, _ field: String) throws {
        guard value >= 0, value.isFinite else { throw refusal(field, "\(value); expected a finite number >= 0") }
    }

    /// A finite number > 0.
    public func positive(_ value: Float, _ field: String) throws {
        guard value > 0, value.isFinite else { throw refusal(field, "\(value); expected a finite number > 0") }
    }

    /// A probability floor in `(0, 1)`.
    public func floor(_ value: Float, _ field: String) throws {
        guard value > 0, value < 1 else { throw refusal(field, "\(value); expected a probability floor in (0, 1)") }
    }

    /// Heads that split `dimensions` evenly.
    public func heads(_ heads: Int, _ field: String, dividing dimensions: Int, _ dimensionsField: String) throws {
        try positive(heads, field, maximum: Self.maximumCount, what: "a number of heads")
        guard dimensions % heads == 0 else {
            throw refusal(field, "\(heads) heads do not divide \(root).\(dimensionsField) = \(dimensions) (expected a divisor of \(dimensions))")
        }
    }

    /// A non-empty name.
    public func name(_ value: String, _ field: String) throws {
        guard !value.isEmpty else { throw refusal(field, "'' is not a column name") }
    }
}
