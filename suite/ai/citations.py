"""Which passages a generated answer really draws on.

Small models cite the wrong number now and then (an answer quoting "CXLL" from passage 2 marked
[1]), so a model's [n] markers are checked against what the answer says before a reader is sent
to a source: a passage that holds a code, number or price the answer quotes and no other passage
holds is a source whether cited or not, and a cited passage that supports the answer far less
than the best one is dropped.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from .types import Passage

# What a grounded answer says when the passages hold no answer; callers look for it.
NO_ANSWER = "资料中没有相关信息"


def extract_notice() -> str:
    """The label on an answer quoted from the knowledge base without a language model."""
    return _(
        "(Extracted from the knowledge base by retrieval; this is not a language-model answer.)"
    )


CITATION = re.compile(r"[\[【]\s*(\d{1,3})\s*[\]】]")
# Codes, numbers and prices: what a reader would act on, and what a wrong source gets wrong.
_ANCHOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*[A-Za-z0-9]")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
# A cited passage is kept when it supports the answer at least this share of the best one.
_KEEP_SHARE = 0.6
# An answer with no marker is attributed to its best passage only on this much support: a
# unique code or number it quotes, or half its CJK bigrams.
_UNMARKED_SUPPORT = 0.5


def marked(text: str, passages: list[Passage]) -> list[int]:
    """0-based indexes of the passages cited as [n] in `text`, in order of first citation."""
    indexes: list[int] = []
    for match in CITATION.finditer(text):
        n = int(match.group(1))
        if 1 <= n <= len(passages) and n - 1 not in indexes:
            indexes.append(n - 1)
    return indexes


def supporting(text: str, passages: list[Passage] | None) -> list[Passage]:
    """The passages `text` draws on: its cited ones that the content bears out, then any
    passage it quotes a unique code or number from; in order of first citation. An answer
    without markers (small models forget them) is attributed by its content alone."""
    if not passages:
        return []
    cited = marked(text, passages)
    answer = CITATION.sub("", text)
    anchors = _anchors(answer)
    held = [_anchors(p.text) & anchors for p in passages]
    scores = [
        2.0 * len({a for a in mine if sum(a in other for other in held) == 1})
        + 0.5 * len(mine)
        + bigram_share(answer, passage.text)
        for mine, passage in zip(held, passages, strict=True)
    ]
    best = max(range(len(passages)), key=lambda i: scores[i])
    if not cited:
        return [passages[best]] if scores[best] >= _UNMARKED_SUPPORT else []
    keep = [i for i in cited if scores[i] >= _KEEP_SHARE * scores[best]]
    if best not in keep:
        keep.append(best)
    return [passages[i] for i in keep]


def ungrounded_anchors(answer: str, passages: list[Passage]) -> set[str]:
    """Codes, numbers and prices the answer states that no passage holds.

    A grounded answer copies them from its passages. A small model asked about something the
    passages do not cover ("宽带能装IPTV吗") tends to echo the question ("宽带能装IPTV…") or
    invent a figure, and may take one from elsewhere in its prompt; either way what it asserts
    comes from nowhere, so such an answer is not grounded, whatever it cites."""
    held = set().union(*(_anchors(p.text) for p in passages)) if passages else set()
    return _anchors(CITATION.sub("", answer)) - held


def _anchors(text: str) -> set[str]:
    return {a.upper() for a in _ANCHOR.findall(text)}


def bigram_share(answer: str, passage: str) -> float:
    """The share of the answer's CJK character pairs that also stand in `passage`."""
    grams = _bigrams(answer)
    if not grams:
        return 0.0
    return len(grams & _bigrams(passage)) / len(grams)


def _bigrams(text: str) -> set[str]:
    return {run[i : i + 2] for run in _CJK.findall(text) for i in range(len(run) - 1)}
