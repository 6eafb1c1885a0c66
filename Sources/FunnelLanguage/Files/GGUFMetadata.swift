/// Typed reads of GGUF metadata (ggml `docs/gguf.md`, "Standardized key-value pairs"),
/// e.g. `int("llama.block_count")` or `stringArray("tokenizer.ggml.tokens")`. A missing key
/// or a value of another type is refused with a ``LanguageFileError`` whose field is
/// `metadata[key]` and, for a wrong type, whose location is the key's byte offset.
extension GGUFFile {
    /// The value at `key`, or a refusal naming the key.
    public func value(_ key: String) throws -> GGUFValue {
        guard let value = metadata[key] else {
            throw LanguageFileError(file: path, field: "metadata[\(key)]", reason: "missing; the file has \(metadataKeys.count) metadata keys")
        }
        return value
    }

    /// A `string` value.
    public func string(_ key: String) throws -> String {
        try typed(key, expected: "a string") { $0.stringValue }
    }

    /// Any integer value that fits `Int` (GGUF writers use `uint32` for most counts).
    public func int(_ key: String) throws -> Int {
        try typed(key, expected: "an integer") { $0.intValue }
    }

    /// A `float32` value, or a `float64` narrowed.
    public func float(_ key: String) throws -> Float {
        try typed(key, expected: "a float32 or float64") { $0.floatValue }
    }

    /// A `bool` value.
    public func bool(_ key: String) throws -> Bool {
        try typed(key, expected: "a bool") { $0.boolValue }
    }

    /// An array of strings, e.g. `tokenizer.ggml.tokens` or `tokenizer.ggml.merges`.
    public func stringArray(_ key: String) throws -> [String] {
        try array(key, expected: "an array of string") { $0.stringValue }
    }

    /// An array of integers that each fit `Int32`, e.g. `tokenizer.ggml.token_type`.
    public func int32Array(_ key: String) throws -> [Int32] {
        try array(key, expected: "an array of int32") { $0.intValue.flatMap { Int32(exactly: $0) } }
    }

    /// An array of `float32` (or `float64`, narrowed), e.g. `tokenizer.ggml.scores`.
    public func floatArray(_ key: String) throws -> [Float] {
        try array(key, expected: "an array of float32") { $0.floatValue }
    }

    private func typed<Result>(_ key: String, expected: String, _ convert: (GGUFValue) -> Result?) throws -> Result {
        let value = try value(key)
        guard let result = convert(value) else { throw wrongType(key, value, expected: expected) }
        return result
    }

    private func array<Element>(_ key: String, expected: String, _ convert: (GGUFValue) -> Element?) throws -> [Element] {
        let value = try value(key)
        guard let values = value.arrayValues else { throw wrongType(key, value, expected: expected) }
        var result: [Element] = []
        result.reserveCapacity(values.count)
        for element in values {
            guard let converted = convert(element) else { throw wrongType(key, value, expected: expected) }
            result.append(converted)
        }
        return result
    }

    private func wrongType(_ key: String, _ value: GGUFValue, expected: String) -> LanguageFileError {
        let shown = value.arrayValues == nil ? " \(value)" : ""
        return LanguageFileError(
            file: path, field: "metadata[\(key)]", location: metadataOffsets[key].map { .byte($0) },
            reason: "\(value.typeDescription)\(shown); expected \(expected)")
    }
}
