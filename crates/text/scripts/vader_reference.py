#!/usr/bin/env python3
"""Reference numbers for docs/TEXT_ANALYTICS.md: 3-class accuracy of the
original VADER (Python package `vaderSentiment` from PyPI) on the VADER
ground-truth sets in ../shared/data/vader/.

Not used by CI. Run:
    pip install vaderSentiment==3.3.2
    python3 crates/text/scripts/vader_reference.py [SHARED_DATA_DIR]

Labels follow VADER's own convention, the same one the Rust evaluator uses:
mean/compound > 0.05 positive, < -0.05 negative, otherwise neutral.
"""
import os
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

LABELS = ["negative", "neutral", "positive"]


def label(x: float) -> str:
    if x > 0.05:
        return "positive"
    if x < -0.05:
        return "negative"
    return "neutral"


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.environ.get(
        "AMENDS_SHARED_DATA", os.path.join(here, "..", "..", "..", "..", "shared", "data")
    )
    data = sys.argv[1] if len(sys.argv) > 1 else default
    vader_dir = os.path.join(data, "vader")
    analyzer = SentimentIntensityAnalyzer()
    for name in sorted(os.listdir(vader_dir)):
        if not name.endswith("_GroundTruth.txt"):
            continue
        gold, pred = [], []
        with open(os.path.join(vader_dir, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t", 2)
                if len(parts) < 3:
                    continue
                try:
                    mean = float(parts[1])
                except ValueError:
                    continue
                gold.append(label(mean))
                pred.append(label(analyzer.polarity_scores(parts[2])["compound"]))
        n = len(gold)
        acc = sum(g == p for g, p in zip(gold, pred)) / n
        f1s = []
        for c in LABELS:
            tp = sum(g == c and p == c for g, p in zip(gold, pred))
            fp = sum(g != c and p == c for g, p in zip(gold, pred))
            fn = sum(g == c and p != c for g, p in zip(gold, pred))
            prec = tp / (tp + fp) if tp + fp else 0.0
            rec = tp / (tp + fn) if tp + fn else 0.0
            f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
        print(f"{name}\tn={n}\taccuracy={acc:.4f}\tmacro_f1={sum(f1s) / 3:.4f}")


if __name__ == "__main__":
    main()
