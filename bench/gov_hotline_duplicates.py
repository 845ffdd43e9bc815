"""Benchmark duplicate detection over 100,000 hotline orders.

Orders are generated from the shipped labelled requests (gov_hotline/data): each picks a written
request, a place in a district and a time within a year, with a random opening, detail and
contact. About 6% are re-reports of an earlier order (same request and place, 0-3 days later,
reworded). Ground truth: two orders are duplicates when they share the written request and the
place and lie within the 7-day window. Measures `gov_hotline.duplicates.duplicate_pairs`
(character 2-3-gram hashing vectors, sparse blocks by district and time) for time, precision,
recall and F1, and compares its speed with a brute-force all-pairs baseline on a 3,000-order
sample in the same process (extrapolated quadratically to the full set).

    .venv/bin/python bench/gov_hotline_duplicates.py [--orders 100000]
"""

import argparse
import json
import os
import platform
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django  # noqa: E402

django.setup()

from gov_hotline import duplicates  # noqa: E402
from gov_hotline.data.build_labelled import OPENINGS, PLACES, WRITTEN  # noqa: E402

DETAILS = ["", "已经好几天了", "反映过一次", "情况越来越严重", "附近居民都很有意见", "请尽快处理"]
REWORD = [("，", "，而且"), ("很", "非常"), ("每天", "天天"), ("希望", "请"), ("了", "")]


def generate(n: int, rng: random.Random):
    written = [
        (text, sub)
        for subs in WRITTEN.values()
        for sub, items in subs.items()
        for _t, _u, text in items
    ]
    districts = list(PLACES)
    texts, district_ids, days, keys, addresses, places = [], [], [], [], [], []
    place_ids: dict[str, int] = {}
    while len(texts) < n:
        if texts and rng.random() < 0.06:
            k = rng.randrange(len(texts))  # a re-report of an earlier order
            w, d, p = keys[k]
            day = days[k] + rng.uniform(0, 3)
            body = written[w][0].format(p=p)
            for a, b in rng.sample(REWORD, 2):
                body = body.replace(a, b, 1)
        else:
            w = rng.randrange(len(written))
            d = rng.randrange(len(districts))
            p = rng.choice(PLACES[districts[d]])
            day = rng.uniform(0, 365)
            body = written[w][0].format(p=p)
        detail = rng.choice(DETAILS)
        texts.append(f"{rng.choice(OPENINGS)}{body}{'，' + detail if detail else ''}。")
        district_ids.append(d)
        days.append(day)
        keys.append((w, d, p))
        addresses.append(place_ids.setdefault(p, len(place_ids)))
        places.append((districts[d], p))
    return texts, np.array(district_ids), np.array(days), keys, np.array(addresses), places


def truth_pairs(keys, days, window) -> set[tuple[int, int]]:
    groups = defaultdict(list)
    for i, key in enumerate(keys):
        groups[key].append(i)
    pairs = set()
    for members in groups.values():
        members.sort(key=lambda i: days[i])
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                i, j = members[a], members[b]
                if days[j] - days[i] > window:
                    break
                pairs.add((min(i, j), max(i, j)))
    return pairs


def brute_force(texts, districts, days, addresses, places, threshold, window) -> set:
    """All pairs compared, no blocking: the baseline the blocked search is measured against."""
    x = duplicates.vectorize(texts, places)
    sims = (x @ x.T).toarray()
    found = set()
    n = len(texts)
    for i in range(n):
        for j in range(i + 1, n):
            if districts[i] != districts[j] or abs(days[i] - days[j]) > window:
                continue
            score = sims[i, j]
            score += (
                duplicates.ADDRESS_BONUS
                if addresses[i] == addresses[j]
                else -duplicates.ADDRESS_PENALTY
            )
            if score >= threshold:
                found.add((i, j))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=3_000)
    args = parser.parse_args()
    rng = random.Random(2026)
    window = duplicates.WINDOW_DAYS
    texts, districts, days, keys, addresses, places = generate(args.orders, rng)
    truth = truth_pairs(keys, days, window)

    started = time.perf_counter()
    pairs = duplicates.duplicate_pairs(texts, districts, days, addresses=addresses, places=places)
    elapsed = time.perf_counter() - started
    found = {tuple(p) for p in pairs.tolist()}
    tp = len(found & truth)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    m = args.baseline_sample
    started = time.perf_counter()
    brute = brute_force(
        texts[:m], districts[:m], days[:m], addresses[:m], places[:m], duplicates.THRESHOLD, window
    )
    brute_s = time.perf_counter() - started
    started = time.perf_counter()
    blocked = duplicates.duplicate_pairs(
        texts[:m], districts[:m], days[:m], addresses=addresses[:m], places=places[:m]
    )
    blocked_s = time.perf_counter() - started
    agree = brute == {tuple(p) for p in blocked.tolist()}

    print(
        json.dumps(
            {
                "benchmark": "gov_hotline_duplicates",
                "machine": f"{platform.machine()} {os.cpu_count()} cpu",
                "orders": args.orders,
                "window_days": window,
                "threshold": duplicates.THRESHOLD,
                "true_pairs": len(truth),
                "found_pairs": len(found),
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
                "seconds": round(elapsed, 2),
                "orders_per_second": round(args.orders / elapsed),
                "baseline": {
                    "sample": m,
                    "brute_force_seconds": round(brute_s, 2),
                    "blocked_seconds": round(blocked_s, 3),
                    "same_pairs_as_blocked": agree,
                    "brute_force_extrapolated_seconds": round(brute_s * (args.orders / m) ** 2),
                },
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
