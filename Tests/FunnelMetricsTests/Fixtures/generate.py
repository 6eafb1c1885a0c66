"""Generates reference.json, the committed reference values of FunnelMetricsTests.

Used once, offline; its dependencies (numpy, scikit-learn) are not build or test requirements.
The Swift tests read only reference.json. Rerun with `python3 generate.py` from this folder.

Every expected value comes from an implementation independent of the Swift one:
scikit-learn for AUC and logloss, and plain loops (brute force where the Swift code is clever)
for GAUC, calibration, nDCG, MRR, XAUC, XGAUC and the full-ranking metrics.
"""

import itertools
import json
import math

import numpy as np
from sklearn.metrics import log_loss, ndcg_score, roc_auc_score

rng = np.random.default_rng(20240611)


def binary_section():
    n, users = 200, 25
    scores = np.round(rng.uniform(0.01, 0.99, n), 2)  # 2 decimals: many ties
    labels = (rng.uniform(size=n) < scores).astype(int)
    groups = rng.integers(0, users, n)
    labels[groups == 23] = 1  # one all-positive user
    labels[groups == 24] = 0  # one all-negative user
    weights = np.round(rng.uniform(0.5, 2.0, n), 3)
    logits = np.round(rng.normal(0, 3, n), 3)
    logit_labels = (rng.uniform(size=n) < 1 / (1 + np.exp(-logits))).astype(int)

    per_group = []
    dropped_groups = dropped_rows = 0
    for user in np.unique(groups):
        rows = groups == user
        y, s = labels[rows], scores[rows]
        if y.min() == y.max():
            dropped_groups += 1
            dropped_rows += int(rows.sum())
            continue
        per_group.append((roc_auc_score(y, s), len(y), int(y.sum())))
    aucs = np.array([a for a, _, _ in per_group])
    shows = np.array([c for _, c, _ in per_group], dtype=float)
    clicks = np.array([p for _, _, p in per_group], dtype=float)

    bins = 10
    index = np.minimum((scores * bins).astype(int), bins - 1)
    ece = 0.0
    counts = []
    for b in range(bins):
        members = index == b
        counts.append(int(members.sum()))
        if members.any():
            ece += members.mean() * abs(scores[members].mean() - labels[members].mean())

    sigmoid = 1 / (1 + np.exp(-logits))
    return {
        "scores": scores.tolist(),
        "labels": labels.tolist(),
        "weights": weights.tolist(),
        "groups": groups.tolist(),
        "logits": logits.tolist(),
        "logitLabels": logit_labels.tolist(),
        "expected": {
            "auc": roc_auc_score(labels, scores),
            "weightedAUC": roc_auc_score(labels, scores, sample_weight=weights),
            "groupedAUCUniform": float(aucs.mean()),
            "groupedAUCExposures": float((aucs * shows).sum() / shows.sum()),
            "groupedAUCClicks": float((aucs * clicks).sum() / clicks.sum()),
            "groupsUsed": len(per_group),
            "groupsDropped": dropped_groups,
            "rowsDropped": dropped_rows,
            "logLoss": log_loss(labels, scores),
            "weightedLogLoss": log_loss(labels, scores, sample_weight=weights),
            "logLossFromLogits": log_loss(logit_labels, sigmoid),
            "meanPrediction": float(scores.mean()),
            "meanLabel": float(labels.mean()),
            "expectedCalibrationError": ece,
            "binCounts": counts,
        },
    }


def dcg(labels, k):
    return sum((2.0 ** y - 1) / math.log2(i + 2) for i, y in enumerate(labels[:k]))


def graded_section():
    users = 30
    groups, scores, labels = [], [], []
    for user in range(users):
        length = int(rng.integers(1, 11))
        groups += [user] * length
        scores += np.round(rng.normal(0, 1, length), 1).tolist()  # 1 decimal: ties
        grades = rng.choice([0, 0, 0, 1, 2, 3], length)
        if user % 7 == 0:
            grades[:] = 0  # users without a relevant record count as 0
        labels += grades.tolist()
    order = rng.permutation(len(groups))  # interleave users
    groups = [groups[i] for i in order]
    scores = [scores[i] for i in order]
    labels = [int(labels[i]) for i in order]

    def per_user(metric):
        values = []
        for user in range(users):
            rows = [i for i in range(len(groups)) if groups[i] == user]
            ranked = sorted(rows, key=lambda i: -scores[i])  # stable: first occurrence first
            values.append(metric([labels[i] for i in ranked]))
        return float(np.mean(values))

    def ndcg(k):
        def metric(ordered):
            ideal = dcg(sorted(ordered, reverse=True), k)
            return 0.0 if ideal == 0 else dcg(ordered, k) / ideal
        return metric

    def reciprocal_rank(ordered):
        return next((1 / (i + 1) for i, y in enumerate(ordered) if y > 0), 0.0)

    # Cross-check the loop against scikit-learn where both agree: binary labels, no ties.
    check = rng.permutation(12).astype(float)
    truth = (rng.uniform(size=12) < 0.4).astype(float)
    ranked = truth[np.argsort(-check)].tolist()
    assert abs(ndcg(5)(ranked) - ndcg_score([truth], [check], k=5)) < 1e-12

    cutoffs = [1, 3, 5, 10]
    return {
        "scores": scores,
        "labels": labels,
        "groups": groups,
        "cutoffs": cutoffs,
        "expected": {
            "meanNDCG": [per_user(ndcg(k)) for k in cutoffs],
            "meanReciprocalRank": per_user(reciprocal_rank),
        },
    }


def xauc_brute_force(predictions, targets):
    n = len(predictions)
    if n < 2:
        return 1.0
    concordant = sum(
        1
        for i in range(n)
        for j in range(i + 1, n)
        if (targets[i] - targets[j]) * (predictions[i] - predictions[j]) > 0
    )
    return concordant / (n * (n - 1) / 2)


def watch_time_section():
    n, users = 200, 20
    targets = rng.integers(0, 61, n).astype(float)  # integer seconds: ties
    predictions = np.round(np.clip(targets + rng.normal(0, 15, n), 0, 60), 0)  # ties too
    groups = rng.integers(0, users, n)
    targets[groups == 19] = 0  # a user with zero total watch time is dropped
    used, weighted, dropped_groups, dropped_rows = 0, 0.0, 0, 0
    rows_used = 0
    for user in np.unique(groups):
        rows = np.flatnonzero(groups == user)
        if targets[rows].sum() <= 0:
            dropped_groups += 1
            dropped_rows += len(rows)
            continue
        used += 1
        rows_used += len(rows)
        weighted += len(rows) * xauc_brute_force(predictions[rows], targets[rows])
    return {
        "predictions": predictions.tolist(),
        "targets": targets.tolist(),
        "groups": groups.tolist(),
        "expected": {
            "xauc": xauc_brute_force(predictions, targets),
            "groupedXAUC": weighted / rows_used,
            "groupsUsed": used,
            "groupsDropped": dropped_groups,
            "rowsDropped": dropped_rows,
        },
    }


def ranking_metrics(positions, target_count, cutoffs):
    """Metrics from explicit 0-based target positions in one ordering."""
    first = min(positions)
    rows = []
    for k in cutoffs:
        ideal = sum(1 / math.log2(i + 2) for i in range(min(k, target_count)))
        rows.append({
            "cutoff": k,
            "hitRatio": float(first < k),
            "recall": sum(p < k for p in positions) / target_count,
            "ndcg": sum(1 / math.log2(p + 2) for p in positions if p < k) / ideal,
            "reciprocalRank": 1 / (first + 1) if first < k else 0.0,
        })
    return {"rank": first + 1.0, "reciprocalRank": 1 / (first + 1), "metrics": rows}


def average(results):
    """The mean of several ranking_metrics results (uniform over tie orders)."""
    mean = {"rank": float(np.mean([r["rank"] for r in results])),
            "reciprocalRank": float(np.mean([r["reciprocalRank"] for r in results])),
            "metrics": []}
    for index, row in enumerate(results[0]["metrics"]):
        mean["metrics"].append({key: (row[key] if key == "cutoff" else
                                      float(np.mean([r["metrics"][index][key] for r in results])))
                                for key in row})
    return mean


def full_ranking_user(scores, targets, excluded, cutoffs):
    targets = sorted(set(targets))
    candidates = [i for i in range(len(scores)) if i not in excluded or i in targets]
    m = len(targets)

    def positions(target_first):
        # Sort by decreasing score; within a tie, targets first (optimistic) or last.
        order = sorted(candidates, key=lambda i: (-scores[i], (i not in targets) == target_first))
        return [order.index(t) for t in targets]

    # Expected: every placement of each tie group's targets among the group's positions.
    levels = sorted({scores[t] for t in targets}, reverse=True)
    choices = []
    for level in levels:
        above = sum(scores[i] > level for i in candidates)
        tied = sum(scores[i] == level for i in candidates)
        count = sum(scores[t] == level for t in targets)
        choices.append([[above + c for c in combo]
                        for combo in itertools.combinations(range(tied), count)])
    placements = [sum(parts, []) for parts in itertools.product(*choices)]
    return {
        "scores": scores,
        "targets": targets,
        "excluded": sorted(excluded),
        "optimistic": ranking_metrics(positions(True), m, cutoffs),
        "pessimistic": ranking_metrics(positions(False), m, cutoffs),
        "expected": average([ranking_metrics(p, m, cutoffs) for p in placements]),
    }


def full_ranking_section():
    cutoffs = [1, 5, 10, 20]
    users = []
    for user in range(12):
        items = 40
        decimals = 0 if user % 4 == 3 else 1  # some users with large tie groups
        scores = np.round(rng.normal(0, 1.5, items), decimals).tolist()
        if user == 11:
            scores = [0.25] * items  # every item ties
        targets = rng.choice(np.arange(1, items), int(rng.integers(1, 4)), replace=False).tolist()
        history = rng.choice(np.arange(1, items), int(rng.integers(0, 7)), replace=False).tolist()
        if user == 5:
            history.append(targets[0])  # a target in the history stays a candidate
        excluded = {0, *history}  # item 0 is padding
        users.append(full_ranking_user(scores, targets, excluded, cutoffs))
    return {"cutoffs": cutoffs, "users": users}


reference = {
    "note": "Generated once by generate.py (numpy, scikit-learn); do not edit by hand.",
    "binary": binary_section(),
    "graded": graded_section(),
    "watchTime": watch_time_section(),
    "fullRanking": full_ranking_section(),
}
with open("reference.json", "w") as file:
    json.dump(reference, file, separators=(",", ":"))
    file.write("\n")
