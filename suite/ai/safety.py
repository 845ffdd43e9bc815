"""Input and output checks on every text that crosses the gateway.

- a prohibited-content lexicon (built-in + the tenant's and its ancestors' own terms), matched
  after normalisation so "赌 博-网站" still matches 赌博网站;
- prompt-injection heuristics on chat input;
- personal data masked before text reaches a model (phone and ID numbers, see suite.privacy).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _

from suite.privacy import mask_text
from suite.tenancy.models import Tenant

from .config_cache import invalidate, memoize
from .errors import ContentBlocked
from .models import SafetyCategory, SafetyTerm
from .registry import ancestor_ids

LEXICON_FILE = Path(__file__).with_name("safety_lexicon.txt")

# Separators people insert to dodge a filter; removed before matching.
_SEPARATORS = re.compile(r"[\s\-_.·•*|/\\,，。、~～!！?？'\"“”‘’()（）\[\]【】]+")

_INJECTION_PATTERNS = [
    r"(ignore|disregard|forget)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier)\s+"
    r"(instructions|prompts|rules|messages)",
    r"(reveal|print|show|repeat|output)\s+(me\s+)?(your|the)\s+(system\s+prompt|instructions"
    r"|hidden\s+prompt)",
    r"\byou\s+are\s+now\s+(dan|in\s+developer\s+mode|jailbroken)\b",
    r"developer\s+mode\s+enabled",
    r"(忽略|无视|忘记|忘掉)(你)?(之前|以上|上面|前面|先前|所有)(的)?(所有)?(指令|指示|提示|规则|设定|要求)",
    r"(输出|告诉我|显示|打印|重复)(一下)?(你的)?(系统提示|系统指令|提示词|初始指令|system ?prompt)",
    r"(你现在|从现在起你)(是|扮演|作为).{0,12}(没有|不受|不再受|无任何)(任何)?(限制|约束|规则)",
    r"(越狱模式|开发者模式|DAN模式)",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _INJECTION_PATTERNS), re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    term: str
    category: str


def normalise(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).lower())


@lru_cache(maxsize=1)
def builtin_terms() -> tuple[tuple[str, str], ...]:
    terms = []
    for line in LEXICON_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            category, term = line.split("\t", 1)
            terms.append((normalise(term), category))
    return tuple(terms)


def invalidate_cache() -> None:
    """Called when a tenant edits its terms."""
    invalidate()


def _tenant_terms(tenant: Tenant) -> list[tuple[str, str]]:
    def compute() -> list[tuple[str, str]]:
        rows = SafetyTerm.objects.filter(tenant_id__in=ancestor_ids(tenant))
        return [
            (normalise(term), category) for term, category in rows.values_list("term", "category")
        ]

    return memoize(("safety-terms", tenant.pk), compute)


def find_prohibited(tenant: Tenant, text: str) -> Hit | None:
    flat = normalise(text)
    if not flat:
        return None
    for term, category in (*builtin_terms(), *_tenant_terms(tenant)):
        if term and term in flat:
            return Hit(term=term, category=category)
    return None


def _category_label(category: str) -> str:
    try:
        return str(SafetyCategory(category).label)
    except ValueError:
        return category


def check_input(tenant: Tenant, text: str, *, field: str = "input") -> None:
    hit = find_prohibited(tenant, text)
    if hit is not None:
        raise ContentBlocked(
            _("The %(field)s contains prohibited content (%(category)s): %(term)s")
            % {"field": field, "category": _category_label(hit.category), "term": hit.term},
            param=field,
        )


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


def check_injection(text: str) -> None:
    if looks_like_injection(text):
        raise ContentBlocked(
            _(
                "The message looks like an attempt to override the assistant's instructions "
                "(prompt injection) and was not sent to the model."
            ),
            param="messages",
        )


def output_allowed(tenant: Tenant, text: str) -> bool:
    return find_prohibited(tenant, text) is None


def mask_for_model(text: str) -> str:
    return mask_text(text)
