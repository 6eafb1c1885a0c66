import Foundation
import Logging

/// Shows training progress: on a terminal a bar redrawn in place (rate, ETA, loss, the last
/// evaluation); otherwise a plain log line every `interval` steps, through swift-log.
public final class ProgressDisplay: @unchecked Sendable {
    /// Whether standard error is a terminal (a bar is drawn) or not (log lines are written).
    public let isTerminal: Bool
    private let interval: Int
    private var logger = Logger(label: "funnel.train")

    public init(interval: Int = 100) {
        isTerminal = isatty(STDERR_FILENO) == 1
        self.interval = interval
    }

    public func show(_ progress: TrainingProgress) {
        let evaluation = progress.lastEvaluation.map { String(format: " %@ %.4f", $0.name, $0.value) } ?? ""
        if isTerminal {
            let width = 30
            let done = progress.totalSteps == 0 ? width : width * progress.step / progress.totalSteps
            let bar = String(repeating: "█", count: done) + String(repeating: "·", count: width - done)
            let eta = Int(progress.secondsRemaining.rounded())
            let line = String(
                format: "\r%@ %d/%d epoch %d  %.0f samples/s  eta %ds  loss %.4f%@", bar, progress.step, progress.totalSteps,
                progress.epoch, progress.samplesPerSecond, eta, progress.loss, evaluation)
            FileHandle.standardError.write(Data(line.utf8))
            if progress.step == progress.totalSteps { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if progress.step % interval == 0 || progress.step == progress.totalSteps {
            logger.info("step \(progress.step)/\(progress.totalSteps) epoch \(progress.epoch) loss \(String(format: "%.4f", progress.loss)) \(Int(progress.samplesPerSecond)) samples/s\(evaluation)")
        }
    }
}

/// Sends swift-log output to standard error with a level (the command-line tool calls this once).
public func bootstrapLogging(level: Logger.Level = .info) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
