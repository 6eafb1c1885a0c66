"""The ceiling of the sequential world's full-ranking table: rank each test row's catalogue by the
recorded true next-item probabilities (truth-test.f32), history masked as Funnel's `full` task
masks it (every item the user interacted with but the target), and report HR/NDCG@5,10, MRR@10
and truth_mass@10 (the top 10's share of the candidates' true probability; truth_ndcg is 1). The truth is the distribution at the target step's own time, which no model sees, so no
model should reach it.

Usage: python3 Examples/sequential_truth_ceiling.py data/sequential [more dataset folders]
"""
import csv
import math
import sys

import numpy as np

for folder in sys.argv[1:]:
    rows = list(csv.DictReader(open(f"{folder}/test.csv")))
    truth = np.fromfile(f"{folder}/truth-test.f32", dtype=np.float32).reshape(len(rows), -1)
    hits, gains, reciprocal, mass = {5: 0.0, 10: 0.0}, {5: 0.0, 10: 0.0}, 0.0, 0.0
    for index, row in enumerate(rows):
        target = int(row["target"])
        scores = truth[index].astype(np.float64)
        scores[0] = -1.0
        for item in (int(value) for value in row["interacted"].split("|") if value):
            if item != target:
                scores[item] = -1.0
        rank = int((scores > scores[target]).sum())
        candidates = np.sort(scores[scores >= 0])[::-1]
        mass += candidates[:10].sum() / candidates.sum()
        for cutoff in hits:
            if rank < cutoff:
                hits[cutoff] += 1
                gains[cutoff] += 1 / math.log2(rank + 2)
        reciprocal += 1 / (rank + 1) if rank < 10 else 0
    count = len(rows)
    print(folder, " ".join(f"HR@{k} {hits[k] / count:.4f} NDCG@{k} {gains[k] / count:.4f}" for k in hits),
          f"MRR@10 {reciprocal / count:.4f} truth_mass@10 {mass / count:.4f}")
