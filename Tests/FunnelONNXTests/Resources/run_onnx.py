"""Runs an exported Funnel ONNX model with onnxruntime (FunnelONNXTests).

Usage: python3 run_onnx.py MODEL.onnx INPUTS.json OUTPUTS.json
INPUTS.json: {"rows": N, "categorical": {name: [ids]}, "dense": [[...], ...] or null}
OUTPUTS.json (written): {output name: [probabilities]}
"""
import json
import sys

import numpy as np
import onnxruntime


def main():
    model, inputs_path, outputs_path = sys.argv[1:4]
    with open(inputs_path) as handle:
        inputs = json.load(handle)
    feeds = {name: np.asarray(ids, dtype=np.int64) for name, ids in inputs["categorical"].items()}
    if inputs.get("dense") is not None:
        feeds["dense"] = np.asarray(inputs["dense"], dtype=np.float32).reshape(inputs["rows"], -1)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    results = session.run(names, feeds)
    with open(outputs_path, "w") as handle:
        json.dump({name: [float(value) for value in result.reshape(-1)] for name, result in zip(names, results)}, handle)


if __name__ == "__main__":
    main()
