"""Accuracy metrics for speech recognition (used by tests and benches)."""

from __future__ import annotations

import unicodedata


def _characters(text: str) -> list[str]:
    """Characters that count for CER: punctuation, symbols and whitespace are ignored."""
    text = unicodedata.normalize("NFKC", text).lower()
    return [ch for ch in text if unicodedata.category(ch)[0] in {"L", "N"}]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    previous = list(range(len(hyp) + 1))
    for i, ref_item in enumerate(ref, start=1):
        current = [i]
        for j, hyp_item in enumerate(hyp, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_item != hyp_item))
            )
        previous = current
    return previous[-1]


def cer(ref: str, hyp: str) -> float:
    """Character error rate: (substitutions + deletions + insertions) / reference characters."""
    ref_chars, hyp_chars = _characters(ref), _characters(hyp)
    if not ref_chars:
        return 0.0 if not hyp_chars else 1.0
    return edit_distance(ref_chars, hyp_chars) / len(ref_chars)
