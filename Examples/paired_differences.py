"""Paired differences by seed from a `funnel experiment` JSON: for each model against a baseline,
the mean ± sample standard deviation over seeds of (model − baseline) on each metric, and on how
many seeds the model is ahead.

Usage: python3 Examples/paired_differences.py runs/NAME/experiment.json BASELINE metric [metric …]
(several experiment files, e.g. one experiment's models run as two processes, join with commas)
"""
import json
import statistics
import sys

path, baseline, metrics = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = [run for part in path.split(",") for run in json.load(open(part))["result"]["runs"]]
by_model = {}
for run in runs:
    by_model.setdefault(run["model"], {})[run["seed"]] = run["metrics"]
base = by_model[baseline]
for model, seeds in by_model.items():
    if model == baseline:
        continue
    cells = []
    for metric in metrics:
        differences = [seeds[s][metric] - base[s][metric] for s in sorted(seeds) if s in base]
        ahead = sum(d > 0 for d in differences)
        spread = statistics.stdev(differences) if len(differences) > 1 else float("nan")
        cells.append(f"{metric} {statistics.mean(differences):+.4f} ± {spread:.4f} ({ahead}/{len(differences)} ahead)")
    print(f"{model} − {baseline}: " + "; ".join(cells))
