/// An enumeration read from configuration files by its raw value: a value that names no case
/// is refused with the valid values listed (`'adamm' is not one of: adam, adamw, sgd`), where
/// the standard decoding says only that the data is corrupted.
public protocol StrictEnum: RawRepresentable, CaseIterable, Codable where RawValue == String {}

extension StrictEnum {
    /// The valid values, comma-separated, for messages.
    public static var validValues: String { allCases.map { $0.rawValue }.joined(separator: ", ") }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(String.self)
        guard let decoded = Self(rawValue: value) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(value)' is not one of: \(Self.validValues)")
        }
        self = decoded
    }
}
