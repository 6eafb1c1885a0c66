import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

/// Prints SmolLM2-135M's prompt and generation speed on 1 and 2 threads and the resident
/// memory, when `FUNNEL_LLAMA_SPEED` is set (not a timed test: nothing is asserted about the
/// numbers). Run in a release build (the test modules use `@testable import`, hence
/// `-enable-testing`):
///
///     FUNNEL_LLAMA_SPEED=1 swift test -c release -Xswiftc -enable-testing --filter LlamaSpeedPrint
///
/// On the 2-core development machine (AMD EPYC with AVX-512, CPU shared with other builds):
/// load 0.3 s, 550 MB resident; 1 thread ≈ 300 prompt tokens/s and 31–34 generated tokens/s
/// (llama.cpp: ≈ 70 and ≈ 42 from the Q4_1 weights). Generation is bound by reading the
/// 540 MB of Float32 weights once per token in the engine's GEMV (`gemv_rows`, ~60% of the
/// profile).
struct LlamaSpeedPrint {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FUNNEL_LLAMA_SPEED"] != nil), .needsLanguageModels)
    func printsPromptAndGenerationSpeed() throws {
        let loadStart = Date()
        let model = try LlamaModel(file: GGUFFile(path: LanguageModels.smolLM2GGUF))
        let loadSeconds = Date().timeIntervalSince(loadStart)
        let prompt = (0..<64).map { Int32((($0 * 7_919) + 13) % 49_000 + 100) }
        var lines = ["SmolLM2-135M-Instruct Q4_1 → Float32: load \(String(format: "%.2f", loadSeconds)) s, resident \(residentMegabytes()) MB"]
        for threads in [1, 2] {
            try Compute.withThreads(threads) {
                var cache = model.makeCache()
                _ = try model.logits(forTokens: Array(prompt.prefix(8)), cache: &cache)  // warm-up
                cache.reset()
                let promptStart = Date()
                var logits = try model.logits(forTokens: prompt, cache: &cache)
                let promptSeconds = Date().timeIntervalSince(promptStart)
                let generationStart = Date()
                for _ in 0..<64 {
                    let next = Int32(LlamaModel.argmax(logits) ?? 0)
                    logits = try model.logits(forTokens: [next], cache: &cache)
                }
                let generationSeconds = Date().timeIntervalSince(generationStart)
                lines.append(String(
                    format: "%d thread(s): prompt %.1f tokens/s (64 tokens), generation %.1f tokens/s (64 tokens after the prompt)",
                    threads, 64 / promptSeconds, 64 / generationSeconds))
            }
        }
        lines.append("resident after generation: \(residentMegabytes()) MB")
        print(lines.joined(separator: "\n"))
    }

    private func residentMegabytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return -1 }
        return kilobytes / 1024
    }
}
