/// How much prompt prefill a ``LanguageModel``'s prefix cache has saved since it was created or
/// last cleared (``LanguageModel/clearPrefixCache()``).
public struct PrefixCacheStatistics: Sendable, Equatable {
    /// Prompt positions computed by the decoder.
    public var prefilledTokens: Int
    /// Prompt positions taken from a cached prefix instead.
    public var reusedTokens: Int

    public init(prefilledTokens: Int = 0, reusedTokens: Int = 0) {
        self.prefilledTokens = prefilledTokens
        self.reusedTokens = reusedTokens
    }
}
