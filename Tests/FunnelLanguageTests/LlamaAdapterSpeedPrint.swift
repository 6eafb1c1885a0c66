import Foundation
import FunnelTensor
import FunnelTestSupport
import Testing
@testable import FunnelLanguage

/// Prints SmolLM2-135M's LoRA training speed (forward + backward of the adapter model's
/// completion log-probability) and the inference log-probability speed of `LlamaModel` on the
/// same 64 scored tokens, on 1 and 2 threads, when `FUNNEL_LORA_SPEED` is set (not a timed
/// test: nothing is asserted about the numbers). Run in a release build:
///
///     FUNNEL_LORA_SPEED=1 swift test -c release -Xswiftc -enable-testing --filter LlamaAdapterSpeedPrint
///
/// On the 2-core development machine (CPU shared with other builds), 1 thread: forward +
/// backward ≈ 91–97 tokens/s (0.66–0.70 s for 64 tokens), the adapter model's forward alone
/// ≈ 198 tokens/s and `LlamaModel.logProbability` ≈ 190–224 tokens/s; the backward pass costs
/// about 1.2 forward passes (the frozen weights take no gradient).
struct LlamaAdapterSpeedPrint {
    @Test(
        .enabled(if: ProcessInfo.processInfo.environment["FUNNEL_LORA_SPEED"] != nil),
        .needsLanguageModels)
    func printsTrainingAndLogProbabilitySpeed() throws {
        let model = try SharedLlamaModel.get()
        let adapted = LlamaAdapterModel(model: model)
        let prompt: [Int32] = [1]
        let completion = (0..<64).map { Int32((($0 * 7_919) + 13) % 49_000 + 100) }
        var lines = [
            "SmolLM2-135M-Instruct, LoRA r = 8 on every projection (\(adapted.parameterCount) trainable values), 64 scored tokens:"
        ]
        for threads in [1, 2] {
            try Compute.withThreads(threads) {
                adapted.zeroGradients()
                try adapted.completionLogProbability(
                    prompt: prompt, completion: Array(completion.prefix(8))
                ).backward()  // warm-up
                let repeats = 2
                let trainingStart = Date()
                for _ in 0..<repeats {
                    adapted.zeroGradients()
                    try adapted.completionLogProbability(prompt: prompt, completion: completion)
                        .backward()
                }
                let trainingSeconds = Date().timeIntervalSince(trainingStart) / Double(repeats)
                let forwardStart = Date()
                for _ in 0..<repeats {
                    _ = try withoutGradients {
                        try adapted.completionLogProbability(prompt: prompt, completion: completion)
                    }
                }
                let forwardSeconds = Date().timeIntervalSince(forwardStart) / Double(repeats)
                let inferenceStart = Date()
                for _ in 0..<repeats {
                    _ = try model.logProbability(prompt: prompt, completion: completion)
                }
                let inferenceSeconds = Date().timeIntervalSince(inferenceStart) / Double(repeats)
                lines.append(
                    String(
                        format:
                            "%d thread(s): adapter forward+backward %.1f tokens/s (%.2f s), adapter forward only"
                            + " %.1f tokens/s, LlamaModel.logProbability %.1f tokens/s (%.3f s)",
                        threads, 64 / trainingSeconds, trainingSeconds, 64 / forwardSeconds,
                        64 / inferenceSeconds, inferenceSeconds))
            }
        }
        print(lines.joined(separator: "\n"))
    }
}
