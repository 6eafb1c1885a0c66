import Foundation

/// Personas on disk as JSON Lines (conversational.md §2.1: `task/{Domain}_train.jsonl`), one
/// persona a line, keys the property names of ``Persona`` (`behaviour` as its raw value).
public enum PersonaFile {
    /// The personas of a file, in file order (blank lines skipped).
    /// - Throws: ``ConversationError`` naming the line and field of the first problem: a line
    ///   that is not a JSON object, a missing field, a field of the wrong type, an unknown
    ///   behaviour; or a file that cannot be read or holds no persona.
    public static func read(path: String) throws -> [Persona] {
        try JSONLinesFile(path: path).records.map { record in
            let behaviourText = try record.string("behaviour")
            guard let behaviour = BehaviourTrait(rawValue: behaviourText) else {
                let expected = BehaviourTrait.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConversationError.file(
                    path, line: record.line, field: "behaviour",
                    "expected one of \(expected), found \"\(behaviourText)\"")
            }
            return Persona(
                id: try record.string("id"), userId: try record.string("userId"),
                behaviour: behaviour, linguistics: try record.string("linguistics"),
                preferences: try record.string("preferences"),
                likedTitles: try record.strings("likedTitles"),
                targetIds: try record.strings("targetIds"))
        }
    }

    /// Writes the personas, one a line with sorted keys, to a temporary file beside `path` and
    /// renames it over `path`, so that a reader never sees a partial file.
    /// - Throws: ``ConversationError`` naming the path when it cannot be written.
    public static func write(_ personas: [Persona], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for persona in personas {
            do {
                data.append(try encoder.encode(persona))
            } catch {
                throw ConversationError.file(
                    path, "persona \(persona.id) cannot be encoded: \(error)")
            }
            data.append(UInt8(ascii: "\n"))
        }
        try AtomicFile.write(data, to: path)
    }
}
