"""Subscribers' everyday words rewritten into the knowledge base's terms before a search.

"搬家了，家里的网能跟着搬过去吗" shares no word with the article "宽带移机办理", and the small
embedding model does not bridge 网 and 宽带 either. Operators keep such a list of how callers say
things (`data/search_terms.tsv`); the terms it adds join the query, so the subscriber's own
words still count and a rule can only add recall.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

RULES_FILE = Path(__file__).resolve().parent / "data" / "search_terms.tsv"

# Amounts as said aloud, in the articles' units: "100个G" -> "100GB", "38的卡" -> "38元的卡".
_UNITS = (
    # "个G" is data; a bare "5G" is the network ("5G手机"), unless it is followed by 流量.
    (re.compile(r"(\d+)\s*(?:个\s*[Gg]|[Gg](?=流量))(?![Bb])"), r"\1GB"),
    (re.compile(r"(\d+)\s*个?\s*兆"), r"\1M"),
    (re.compile(r"(\d+)\s*块钱?"), r"\1元"),
    (re.compile(r"(?<![\d.])(\d+)(?=(?:一个月|每月|一月)?的?(?:卡|套餐|那个|那档))"), r"\1元"),
)


def _rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    # Keyed by the file's change time, so an operator's edit applies without a restart.
    return _rules_read(RULES_FILE, RULES_FILE.stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _rules_read(path: Path, _changed_ns: int) -> tuple[tuple[re.Pattern[str], str], ...]:
    rules = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        pattern, _tab, terms = line.partition("\t")
        try:
            rules.append((re.compile(pattern, re.IGNORECASE), terms.strip()))
        except re.error as exc:
            # One bad line must not stop every search; the rest of the list still applies.
            logger.warning("%s line %d skipped: %s", path.name, number, exc)
    return tuple(rules)


def expand(query: str) -> str:
    """`query` with its amounts in the articles' units and the article terms its words imply."""
    for pattern, replacement in _UNITS:
        query = pattern.sub(replacement, query)
    added = [terms for pattern, terms in _rules() if pattern.search(query)]
    new = [t for t in dict.fromkeys(" ".join(added).split()) if t not in query]
    return f"{query} {' '.join(new)}" if new else query
