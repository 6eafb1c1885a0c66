import Foundation
import FunnelModels
import FunnelTraining
import Testing

/// The corpus of bad training and experiment configurations: each refused before any work,
/// the message naming the field's path.
@Suite struct ConfigurationValidationTests {
    /// The message of decoding and validating `json` (a training configuration), or "accepted".
    static func refusal(_ json: String) -> String {
        do {
            try TrainingConfiguration.decode(Data(json.utf8)).validate()
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func probe() {
        for json in [
            #"{"data": "x", "model": "mlp", "seed": -1}"#,
            #"{"data": "x", "model": "mlpp"}"#,
            #"{"data": "x", "model": "mlp", "multiTaskUpdate": "summ"}"#,
            #"{"data": "x", "model": "mlp", "epochs": 1, "epochs": 2}"#,
            #"{"data": "x", "model": "mlp", "epochs": 1.5}"#,
            #"{"data": "x", "model": "mlp", "epochs": 1e30}"#,
            #"{"data": "x", "model": "mlp", "optimizer": {"learningRate": 1e39}}"#,
            #"{"data": "x", "model": "mlp", "optimizer": {"learningRate": -1}}"#,
            #"{"data": "x", "model": "mlp", "validation": {"fraction": 0.1, "carving": "tim"}}"#,
            #"{"data": "x", "model": "mlp",}"#,
        ] {
            print("PROBE \(json) → \(Self.refusal(json))")
        }
    }
}
