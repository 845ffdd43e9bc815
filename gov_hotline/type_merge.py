"""The draft's request type from two opinions: the classifier's probability for every type and
the language model's one answer, weighed by how far that answer can be trusted.

The bundled 1.5B model says 投诉 whenever it is unsure (bench/gov_hotline_draft_llm.py: every one
of its request-type misses was 投诉 where the label was 举报, 建议 or 求助), so its 投诉 is weak
evidence and any other answer strong evidence. The model's answer is treated as a noisy
observation of the true type: posterior(t) ∝ classifier(t) × P(model answers m | truth t). A
confident classifier is therefore kept against a 投诉, while an unsure classifier, or a specific
answer (举报, 建议...) it found plausible, yields to the model."""

from __future__ import annotations

from dataclasses import dataclass

# P(model answers the true type): its accuracy on the bench's held-out rows (0.55-0.63).
MODEL_ACCURACY = 0.6
# The type the model falls back to when unsure: its misses all go there.
MODEL_DEFAULT_ANSWER = "投诉"
# Of the model's misses, the share that lands on one given non-default type.
OTHER_ANSWER_SHARE = 0.1
# The prior of a type the tenant's classifier never learnt (none of its examples had it).
UNSEEN_PRIOR = 0.05


@dataclass(frozen=True)
class TypeChoice:
    value: str
    confidence: float
    source: str  # "chat" (the model's answer taken) or "classifier" (its prior kept)


def _likelihood(model_answer: str, truth: str) -> float:
    if model_answer == truth:
        return MODEL_ACCURACY
    share = 1.0 if model_answer == MODEL_DEFAULT_ANSWER else OTHER_ANSWER_SHARE
    return (1.0 - MODEL_ACCURACY) * share


def request_type_merge(probabilities: dict[str, float], model_answer: str) -> TypeChoice:
    """The type with the highest posterior; `source` says whose answer it is."""
    probabilities = {model_answer: UNSEEN_PRIOR, **probabilities}
    posterior = {t: p * _likelihood(model_answer, t) for t, p in probabilities.items()}
    total = sum(posterior.values()) or 1.0
    best = max(posterior, key=posterior.__getitem__)
    source = "chat" if best == model_answer else "classifier"
    return TypeChoice(best, posterior[best] / total, source)
