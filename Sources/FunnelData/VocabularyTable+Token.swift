extension VocabularyTable {
    /// The id of a token as it is written in a table (`"men"`), by the same key the reader
    /// computes: the token itself for identity vocabularies, its hash otherwise. Id 0 (the
    /// reserved id) for an empty token or one a built vocabulary never saw; `nil` when an
    /// identity vocabulary's token is not a whole number in range.
    public func id(forToken token: String) -> Int32? {
        if case .identity(let size) = kind {
            guard let value = Int64(token), value >= 0, value < Int64(size) else { return nil }
            return Int32(value)
        }
        guard !token.isEmpty else { return 0 }
        let key = Array(token.utf8).withUnsafeBufferPointer { buffer in
            FieldParsing.hash(buffer.baseAddress!, 0, buffer.count)
        }
        return id(forKey: Int64(bitPattern: key))
    }
}
