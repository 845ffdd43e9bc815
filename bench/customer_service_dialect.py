"""Dialect identification on the labelled set shipped in customer_service/data/.

Reports accuracy, macro-F1, per-dialect precision/recall/F1 and the confusion matrix of
`customer_service.dialect.identify`, against two baselines measured in the same process:
always answering the majority class, and the ASR language alone (Whisper base has no dialect
codes, so every sentence would come back `zh` = Mandarin). The set was written for this project
(not recorded speech) and the marker lexicon was refined while looking at it, so the figure is
an upper bound for transcribed speech, not a held-out estimate.

    .venv/bin/python bench/customer_service_dialect.py
"""

import json
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django  # noqa: E402

django.setup()

from customer_service.dialect import DIALECTS, identify  # noqa: E402
from customer_service.dialect_data import labelled_sentences  # noqa: E402


def scores(gold: list[str], predicted: list[str]) -> dict:
    per = {}
    for label in DIALECTS:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label and g != label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[label] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
        }
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    macro = sum(v["f1"] for v in per.values()) / len(per)
    return {"accuracy": round(accuracy, 3), "macro_f1": round(macro, 3), "per_dialect": per}


def main() -> None:
    rows = labelled_sentences()
    gold = [d for d, _s in rows]
    start = time.perf_counter()
    predicted = [identify(s).dialect for _d, s in rows]
    elapsed = time.perf_counter() - start
    majority = Counter(gold).most_common(1)[0][0]
    confusion = {g: dict(Counter(p for gg, p in zip(gold, predicted, strict=True) if gg == g))
                 for g in DIALECTS}  # fmt: skip
    result = {
        "benchmark": "customer_service_dialect",
        "sentences": len(rows),
        "per_dialect_count": dict(Counter(gold)),
        "markers_classifier": scores(gold, predicted),
        "baseline_majority_class": scores(gold, [majority] * len(gold)),
        "baseline_asr_language_only": scores(gold, ["mandarin"] * len(gold)),
        "confusion": confusion,
        "mean_ms_per_sentence": round(elapsed / len(rows) * 1000, 3),
        "errors": [
            {"gold": g, "predicted": p, "text": s}
            for (g, s), p in zip(rows, predicted, strict=True)
            if g != p
        ],
        "python": platform.python_version(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
