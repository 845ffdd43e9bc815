"""Same issue, several callers: text similarity (character 2-3-gram hashing vectors, cosine)
within the same district and a time window. The batch form compares sparse blocks of orders
sorted by district and time, never all pairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

WINDOW_DAYS = 7.0
THRESHOLD = 0.6
ADDRESS_BONUS = 0.1
# Two known, different addresses usually mean two problems even when the words match
# ("the street light is broken" on two roads).
ADDRESS_PENALTY = 0.45
CHUNK = 1024

_vectorizer = HashingVectorizer(
    analyzer="char", ngram_range=(2, 3), n_features=2**20, alternate_sign=False, norm="l2"
)


def without_places(texts: list[str], places: Sequence[tuple[str, ...]] | None) -> list[str]:
    """The texts with their own district and address removed: two reports of different
    problems at one address must not look alike because they share the address; the location
    is compared separately."""
    if places is None:
        return texts
    out = []
    for text, names in zip(texts, places, strict=True):
        for name in sorted((n for n in names if n), key=len, reverse=True):
            text = text.replace(name, "")
        out.append(text)
    return out


def vectorize(
    texts: list[str], places: Sequence[tuple[str, ...]] | None = None
) -> sparse.csr_matrix:
    return _vectorizer.transform(without_places(texts, places)).astype(np.float32).tocsr()


@dataclass
class Match:
    index: int
    score: float


def similar_to(
    text: str,
    address: str,
    candidates: list[tuple[str, str]],
    threshold: float = THRESHOLD,
    district: str = "",
) -> list[Match]:
    """Candidates (text, address) already narrowed to the district and window, best first."""
    if not candidates:
        return []
    places = [(district, address)] + [(district, c[1]) for c in candidates]
    x = vectorize([text] + [c[0] for c in candidates], places)
    scores = (x[1:] @ x[0].T).toarray().ravel()
    if address:
        # One caller gives the house number, the next only the street: one place.
        same = np.array([bool(c[1]) and (c[1] in address or address in c[1]) for c in candidates])
        known = np.array([bool(c[1]) for c in candidates])
        scores = scores + ADDRESS_BONUS * same - ADDRESS_PENALTY * (known & ~same)
    order = np.argsort(-scores)
    return [Match(int(i), float(min(scores[i], 1.0))) for i in order if scores[i] >= threshold]


def duplicate_pairs(
    texts: list[str],
    districts: np.ndarray,
    days: np.ndarray,
    *,
    addresses: np.ndarray | None = None,
    places: list[tuple[str, ...]] | None = None,
    window_days: float = WINDOW_DAYS,
    threshold: float = THRESHOLD,
) -> np.ndarray:
    """All pairs (i, j), i < j, in the same district, at most `window_days` apart, whose cosine
    similarity (adjusted by the address rule, `addresses` as int codes, -1 unknown) reaches
    `threshold`. `places` are the strings to strip from each text before comparing (see
    `without_places`). Returns an (n, 2) int array of original indices."""
    x = vectorize(texts, places)
    order = np.lexsort((days, districts))
    pairs: list[np.ndarray] = []
    sorted_d = districts[order]
    sorted_t = days[order]
    boundaries = np.flatnonzero(np.diff(sorted_d)) + 1
    for block in np.split(np.arange(len(order)), boundaries):
        if len(block) < 2:
            continue
        xb = x[order[block]]
        tb = sorted_t[block]
        for start in range(0, len(block), CHUNK):
            stop = min(start + CHUNK, len(block))
            # Rows after this chunk within the window: the chunk's own rows and the later ones.
            far = np.searchsorted(tb, tb[stop - 1] + window_days, side="right")
            sims = (xb[start:stop] @ xb[start:far].T).tocoo()
            keep = sims.data >= threshold - ADDRESS_BONUS
            i = sims.row[keep] + start
            j = sims.col[keep] + start
            score = sims.data[keep]
            later = j > i
            i, j, score = i[later], j[later], score[later]
            if addresses is not None:
                ai = addresses[order[block[i]]]
                aj = addresses[order[block[j]]]
                known = (ai >= 0) & (aj >= 0)
                score = (
                    score
                    + ADDRESS_BONUS * (known & (ai == aj))
                    - ADDRESS_PENALTY * (known & (ai != aj))
                )
            good = score >= threshold
            i, j = i[good], j[good]
            close = np.abs(tb[j] - tb[i]) <= window_days
            i, j = i[close], j[close]
            if len(i):
                pairs.append(np.stack([order[block[i]], order[block[j]]], axis=1))
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    found = np.concatenate(pairs)
    return np.sort(found, axis=1)
