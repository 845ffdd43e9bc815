"""The embedded chat fallback: answers by quoting the retrieved passages, never by generating.

It scores every sentence of the passages against the last user question (idf-weighted term
coverage over jieba tokens, plus a little of the passage's retrieval score), quotes the best one
to three in document order with [n] markers, and says plainly that this is an extract and not a
language-model answer. When nothing is relevant enough it says so instead of guessing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..capabilities import Capability
from ..citations import extract_notice
from ..errors import InvalidInput
from ..search import STOPWORDS, tokenize_zh
from ..tokens import estimate_tokens
from ..types import ChatMessage, ChatResult, Passage, ToolUse
from .base import ChatBackend, register

MAX_SENTENCES = 3
MIN_COVERAGE = 0.3  # share of the question's idf weight a sentence must contain
RELATIVE_CUTOFF = 0.6  # further sentences need this fraction of the best one's score
PASSAGE_WEIGHT = 0.15

_SENTENCE = re.compile(r"[^。！？!?；;]+(?:[。！？!?；;]+|$)")
_LATIN_STOP = re.compile(r"(?<=[.])\s+")


@dataclass
class _Sentence:
    passage: int  # 0-based index into passages
    position: int
    text: str
    tokens: set[str]
    score: float = 0.0


def split_sentences(text: str) -> list[str]:
    """Sentences of Chinese (。！？；) and Latin (". ") text, newlines as hard breaks."""
    out: list[str] = []
    for line in text.splitlines():
        for part in _LATIN_STOP.split(line):
            out.extend(s.strip() for s in _SENTENCE.findall(part) if s.strip())
    return out


def _question(messages: list[ChatMessage]) -> str:
    for message in reversed(messages):
        if message.role == "user" and message.content.strip():
            return message.content
    raise InvalidInput(_("The conversation has no question to answer."), param="messages")


def _content_terms(text: str) -> set[str]:
    return {t for t in tokenize_zh(text) if t not in STOPWORDS}


def rank_sentences(question: str, passages: list[Passage]) -> list[_Sentence]:
    """All sentences, scored; the best first."""
    sentences = [
        _Sentence(p, i, s, _content_terms(s))
        for p, passage in enumerate(passages)
        for i, s in enumerate(split_sentences(passage.text))
    ]
    terms = _content_terms(question)
    if not sentences or not terms:
        return []
    n = len(sentences)
    idf = {
        t: math.log(1 + (n + 0.5) / (sum(t in s.tokens for s in sentences) + 0.5)) for t in terms
    }
    total = sum(idf.values())
    top_passage = max((p.score for p in passages), default=0.0)
    for s in sentences:
        s.score = sum(idf[t] for t in terms & s.tokens) / total
        if s.score and top_passage > 0:
            s.score += PASSAGE_WEIGHT * max(passages[s.passage].score, 0.0) / top_passage
    return sorted(sentences, key=lambda s: (-s.score, s.passage, s.position))


def select_sentences(question: str, passages: list[Passage]) -> list[_Sentence]:
    """The best sentences that answer `question`. A sentence from a passage none of the chosen
    ones came from must add a word of the question they lack: an article that only mentions
    the product asked about ("…毕业后转为4G飞享套餐" under "4G飞享套餐每月多少钱") adds
    nothing to its own article's answer, only a second, unrelated source."""
    ranked = rank_sentences(question, passages)
    if not ranked or ranked[0].score < MIN_COVERAGE:
        return []
    floor = max(MIN_COVERAGE, RELATIVE_CUTOFF * ranked[0].score)
    terms = _content_terms(question)
    chosen: list[_Sentence] = []
    covered: set[str] = set()
    for sentence in ranked[:MAX_SENTENCES]:
        if sentence.score < floor:
            break
        asked = sentence.tokens & terms
        if chosen and sentence.passage not in {c.passage for c in chosen} and asked <= covered:
            continue
        chosen.append(sentence)
        covered |= asked
    return sorted(chosen, key=lambda s: (s.passage, s.position))


def _source(passage: Passage) -> str:
    return passage.source or passage.id


@register
class ExtractiveAnswerBackend(ChatBackend):
    engine = "extractive"
    capabilities = frozenset({Capability.CHAT})
    generative = False

    def _chunks(
        self, messages: list[ChatMessage], passages: list[Passage] | None
    ) -> tuple[list[str], list[str], int]:
        """The answer as sentence-sized chunks, the cited sources, and the prompt size."""
        question = _question(messages)
        # API callers (/v1/chat/completions) put their retrieved context in system messages.
        passages = passages or [
            Passage(id=f"system-{i}", text=m.content, source="system")
            for i, m in enumerate(messages)
            if m.role == "system" and m.content.strip()
        ]
        chosen = select_sentences(question, passages)
        used = {s.passage for s in chosen}
        prompt_tokens = estimate_tokens(question) + sum(
            estimate_tokens(passages[p].text) for p in used
        )
        if not chosen:
            return [not_found()], [], prompt_tokens
        chunks = [extract_notice() + "\n"]
        chunks += [f"{s.text}[{s.passage + 1}]" for s in chosen]
        cited = sorted(used)
        sources = [f"[{p + 1}] {_source(passages[p])}" for p in cited]
        chunks.append("\n\n" + _("Sources:") + "\n" + "\n".join(sources))
        citations = list(dict.fromkeys(_source(passages[p]) for p in cited))
        return chunks, citations, prompt_tokens

    def chat(
        self,
        messages: list[ChatMessage],
        *,
        passages: list[Passage] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.7,
        response_format: dict | None = None,  # not a language model: it cannot honour it
        tools: ToolUse | None = None,  # nor call functions
    ) -> ChatResult:
        chunks, citations, prompt_tokens = self._chunks(messages, passages)
        return _result(chunks, citations, prompt_tokens)

    def chat_stream(
        self,
        messages: list[ChatMessage],
        *,
        passages: list[Passage] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.7,
        response_format: dict | None = None,
    ) -> Iterator[str | ChatResult]:
        chunks, citations, prompt_tokens = self._chunks(messages, passages)
        yield from chunks
        yield _result(chunks, citations, prompt_tokens)


def _result(chunks: list[str], citations: list[str], prompt_tokens: int) -> ChatResult:
    text = "".join(chunks)
    # No model tokenizer here: tokens are estimated from characters (one per CJK character).
    return ChatResult(
        text=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=estimate_tokens(text),
        finish_reason="stop",
        citations=citations,
    )


def not_found() -> str:
    return _(
        "No relevant content was found in the knowledge base, so this question cannot be "
        "answered here. Please rephrase it or contact a human agent."
    )
