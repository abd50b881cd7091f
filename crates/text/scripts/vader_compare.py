#!/usr/bin/env python3
"""Set amends' English scores beside VADER 3.3.2's, text by text, on the
VADER ground-truth sets in ../shared/data/vader/: accuracy of each, how often
their labels agree, and the texts whose compounds differ by more than 0.05
(most different first) — where the re-implementation departs from VADER.

Not used by CI. Run from the workspace root:
    pip install vaderSentiment==3.3.2
    for f in tweets movieReviewSnippets nytEditorialSnippets; do
      cargo run -q --release -p amends-text --example vader_scores -- \
        ../shared/data/vader/${f}_GroundTruth.txt > /tmp/$f.amends   # add --no-hint to detect the language
    done
    python3 crates/text/scripts/vader_compare.py /tmp [SHARED_DATA_DIR]
"""
import os
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

SETS = ["tweets", "movieReviewSnippets", "nytEditorialSnippets"]


def label(x: float) -> str:
    return "positive" if x > 0.05 else ("negative" if x < -0.05 else "neutral")


def main() -> None:
    scores_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.environ.get("AMENDS_SHARED_DATA", os.path.join(here, "..", "..", "..", "..", "shared", "data"))
    data = sys.argv[2] if len(sys.argv) > 2 else default
    vader = SentimentIntensityAnalyzer()
    for name in SETS:
        amends = {}
        with open(os.path.join(scores_dir, f"{name}.amends"), encoding="utf-8") as f:
            for line in f:
                id_, score = line.rstrip("\n").split("\t")
                amends[id_] = float(score)
        n = right_vader = right_amends = agree = 0
        departures = []
        path = os.path.join(data, "vader", f"{name}_GroundTruth.txt")
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t", 2)
                if len(parts) < 3 or parts[0] not in amends:
                    continue
                gold = label(float(parts[1]))
                v, a = vader.polarity_scores(parts[2])["compound"], amends[parts[0]]
                n += 1
                right_vader += label(v) == gold
                right_amends += label(a) == gold
                agree += label(v) == label(a)
                if abs(v - a) > 0.05:
                    departures.append((abs(v - a), v, a, gold, parts[2]))
        print(f"{name}: n={n} accuracy VADER {right_vader / n:.4f} amends {right_amends / n:.4f} "
              f"labels agree {agree / n:.4f}, compounds differ by > 0.05: {len(departures)}")
        for d, v, a, gold, text in sorted(departures, reverse=True)[:15]:
            print(f"  {d:.3f}  VADER {v:+.3f}  amends {a:+.3f}  gold {gold:8}  {text[:110]}")


if __name__ == "__main__":
    main()
