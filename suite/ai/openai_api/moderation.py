"""`/v1/moderations` answered by the suite's own safety filter: the built-in lexicon, the
tenant's and its ancestors' terms, and the prompt-injection check, the same checks every model
call passes. OpenAI's category keys are filled where one of ours means the same; the suite's
own categories (politics has no OpenAI key) are under `x_suite`."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _

from suite.tenancy.models import Tenant

from .. import safety
from ..errors import InvalidInput
from ..models import SafetyCategory

MODEL = "suite-safety-filter"
MAX_INPUTS = 32
# Our category -> OpenAI's key for the same thing; str keys, as a safety Hit's category is the
# stored value (SafetyCategory members are equal to theirs).
OPENAI_CATEGORY: dict[str, str] = {
    SafetyCategory.PORNOGRAPHY: "sexual",
    SafetyCategory.VIOLENCE: "violence",
    SafetyCategory.DRUGS: "illicit",
    SafetyCategory.GAMBLING: "illicit",
    SafetyCategory.FRAUD: "illicit",
}
OPENAI_KEYS = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/instructions", "self-harm/intent", "sexual",
    "sexual/minors", "violence", "violence/graphic",
)  # fmt: skip


def texts_of(raw: object) -> list[str]:
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise InvalidInput(_("input must be a string or a list of strings."), param="input")
    if len(texts) > MAX_INPUTS:
        raise InvalidInput(
            _("At most %(n)d inputs per request.") % {"n": MAX_INPUTS}, param="input"
        )
    return texts


def moderate(tenant: Tenant, texts: list[str]) -> dict:
    return {
        "id": f"modr-{uuid.uuid4().hex}",
        "model": MODEL,
        "results": [_result(tenant, text) for text in texts],
    }


def _result(tenant: Tenant, text: str) -> dict:
    hit = safety.find_prohibited(tenant, text)
    injection = safety.looks_like_injection(text)
    ours = {str(c): bool(hit and hit.category == c) for c in SafetyCategory}
    theirs = dict.fromkeys(OPENAI_KEYS, False)
    if hit is not None and hit.category in OPENAI_CATEGORY:
        theirs[OPENAI_CATEGORY[hit.category]] = True
    return {
        "flagged": hit is not None or injection,
        "categories": theirs,
        # A lexicon match is certain or absent: scores are 1 or 0, never a guess.
        "category_scores": {key: float(flag) for key, flag in theirs.items()},
        "x_suite": {
            "categories": {**ours, "prompt_injection": injection},
            "matched_term": hit.term if hit else "",
        },
    }
