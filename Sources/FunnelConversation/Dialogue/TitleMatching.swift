import Foundation

/// How titles are found in free text: the success rate's lower-cased substring match (§4) and
/// the simulator's leakage check (§2.3), which is stricter.
public enum TitleMatching {
    /// Whether `text` contains `title`, lower-cased (SR: "the target title appeared in a CRA
    /// response").
    public static func contains(_ text: String, title: String) -> Bool {
        let needle = title.lowercased()
        return !needle.isEmpty && text.lowercased().contains(needle)
    }

    /// Whether `text` names `title` in any usual form: the title itself, without a trailing
    /// `(year)`, and with a catalogue's trailing article moved to the front ("Matrix, The
    /// (1999)" → "the matrix"). Forms shorter than 4 characters are not checked (a title like
    /// "Up" would match ordinary words). [ASSUMED] stricter than the released code, which
    /// checks the exact title only.
    public static func mentions(_ text: String, title: String) -> Bool {
        let lowered = text.lowercased()
        return forms(of: title).contains { $0.count >= 4 && lowered.contains($0) }
    }

    /// The lower-cased forms of `title` the leakage check looks for.
    static func forms(of title: String) -> [String] {
        let full = title.lowercased().trimmingCharacters(in: .whitespaces)
        var forms = [full]
        var bare = full
        if let range = bare.range(of: #"\s*\(\d{4}\)$"#, options: .regularExpression) {
            bare.removeSubrange(range)
            forms.append(bare)
        }
        for article in ["the", "a", "an"] where bare.hasSuffix(", \(article)") {
            forms.append(article + " " + bare.dropLast(article.count + 2))
            forms.append(String(bare.dropLast(article.count + 2)))
        }
        return forms
    }
}
