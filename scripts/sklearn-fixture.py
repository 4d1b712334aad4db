#!/usr/bin/python3
"""Writes shared/test/fixtures/sklearn-parity.json: synthetic AI4I-like rows with injected anomalies,
their labels and scikit-learn's IsolationForest `score_samples`, so that the TypeScript forest can be
checked against the reference implementation without Python at test time.

Usage: /usr/bin/python3 scripts/sklearn-fixture.py [output-path]
Needs Debian's python3-sklearn (apt-get install -y python3-sklearn). Deterministic for a given
scikit-learn/numpy version: the data and the forest are seeded.
"""
import json
import os
import sys

import numpy as np
import sklearn
from scipy.stats import spearmanr
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

ROWS = 2000
ANOMALY_SHARE = 0.04
# More trees than the default 100 so that both forests' Monte Carlo noise is small: with 100 trees even
# two scikit-learn forests with different seeds only reach a Spearman correlation of about 0.96 here,
# with 500 about 0.99, so the parity test measures the algorithm rather than the dice.
N_ESTIMATORS = 500
FEATURES = ["airTemperature", "temperature", "rpm", "torque", "toolWear"]
UNITS = ["K", "K", "rpm", "Nm", "min"]


def normal_rows(rng, n):
    """AI4I 2020-like process values: air temperature around 300 K, process temperature about 10 K above
    it, speed and torque anti-correlated through a roughly constant power, tool wear growing to ~250 min."""
    air = 300.0 + rng.normal(0.0, 2.0, n)
    process = air + 10.0 + rng.normal(0.0, 1.0, n)
    power = rng.normal(6500.0, 900.0, n)  # W
    rpm = 1540.0 + rng.gamma(4.0, 45.0, n) - 180.0
    torque = power / (rpm * 2.0 * np.pi / 60.0) + rng.normal(0.0, 2.0, n)
    wear = rng.uniform(0.0, 230.0, n)
    return np.column_stack([air, process, rpm, torque, wear])


def anomalous_rows(rng, n):
    """The AI4I failure modes, exaggerated a little: heat dissipation (small process-air gap at low
    speed), power failure (power far outside its band), overstrain (worn tool under high torque) and
    tool wear failure (very worn tool)."""
    rows = normal_rows(rng, n)
    kind = rng.integers(0, 4, n)
    for i, k in enumerate(kind):
        if k == 0:  # heat dissipation failure
            rows[i, 1] = rows[i, 0] + rng.uniform(6.0, 8.0)
            rows[i, 2] = rng.uniform(1170.0, 1300.0)
        elif k == 1:  # power failure: too much or too little power
            if rng.random() < 0.5:
                rows[i, 2] = rng.uniform(2300.0, 2800.0)
                rows[i, 3] = rng.uniform(3.0, 12.0)
            else:
                rows[i, 2] = rng.uniform(1170.0, 1300.0)
                rows[i, 3] = rng.uniform(62.0, 76.0)
        elif k == 2:  # overstrain
            rows[i, 3] = rng.uniform(55.0, 70.0)
            rows[i, 4] = rng.uniform(200.0, 250.0)
        else:  # tool wear failure
            rows[i, 4] = rng.uniform(235.0, 260.0)
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "shared", "test", "fixtures", "sklearn-parity.json")
    rng = np.random.default_rng(2020)
    n_bad = int(ROWS * ANOMALY_SHARE)
    data = np.vstack([normal_rows(rng, ROWS - n_bad), anomalous_rows(rng, n_bad)])
    labels = np.concatenate([np.zeros(ROWS - n_bad, dtype=int), np.ones(n_bad, dtype=int)])
    order = rng.permutation(ROWS)
    data, labels = data[order], labels[order]
    # The precision of the AI4I file: 0.1 K, 1 rpm, 0.1 Nm, 1 min.
    data = np.column_stack([np.round(data[:, 0], 1), np.round(data[:, 1], 1), np.round(data[:, 2]), np.round(data[:, 3], 1), np.round(data[:, 4])])

    forest = IsolationForest(n_estimators=N_ESTIMATORS, max_samples="auto", contamination="auto", random_state=0).fit(data)
    scores = forest.score_samples(data)
    # Seed-to-seed agreement of scikit-learn with itself: the yardstick for our parity test.
    other = IsolationForest(n_estimators=N_ESTIMATORS, max_samples="auto", contamination="auto", random_state=1).fit(data).score_samples(data)
    doc = {
        "description": "Synthetic AI4I-like rows with injected failures; scores are scikit-learn IsolationForest.score_samples (negated anomaly score, lower is more anomalous).",
        "generator": "scripts/sklearn-fixture.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "params": {"n_estimators": N_ESTIMATORS, "max_samples": "auto", "contamination": "auto", "random_state": 0},
        "features": FEATURES,
        "units": UNITS,
        "rocAuc": round(float(roc_auc_score(labels, -scores)), 6),
        "selfSpearman": round(float(spearmanr(scores, other).correlation), 6),
        "rows": data.tolist(),
        "labels": labels.tolist(),
        "scoreSamples": [round(float(s), 6) for s in scores],
    }
    with open(out, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {out}: {ROWS} rows, {n_bad} anomalies, sklearn ROC-AUC {doc['rocAuc']}, seed-to-seed Spearman {doc['selfSpearman']}", file=sys.stderr)


if __name__ == "__main__":
    main()
