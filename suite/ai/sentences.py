"""Split Chinese/English text into sentence-sized pieces so TTS can stream one at a time.

Sentences end at 。！？；!?; (and a full stop followed by a space or the end), or a newline; the
punctuation stays with its sentence. Fragments shorter than `MIN_CHARS` are merged into their
neighbour (a lone "好。" sounds clipped and costs a model call); runs longer than `max_chars`
are cut at commas, and failing that hard at `max_chars`.
"""

from __future__ import annotations

import re

MIN_CHARS = 4
_CLOSERS = "\"'”’」』）)】"
_SENTENCE_END = re.compile(rf"(?:[。！？；!?;]+|\.(?=\s|$))[{_CLOSERS}]*|\n+")
_CLAUSE_END = re.compile(r"[，,、：:]")


def split_sentences(
    text: str, max_chars: int = 120, first_max_chars: int | None = None
) -> list[str]:
    """`first_max_chars`: cut the first piece after an early clause mark, so that speech can
    start after synthesising a few words instead of a whole sentence."""
    max_chars = max(max_chars, MIN_CHARS * 2)
    pieces: list[str] = []
    for sentence in _sentences(text):
        pieces.extend(_split_long(sentence, max_chars))
    pieces = _merge_tiny(pieces, max_chars)
    if first_max_chars and pieces and len(pieces[0]) > first_max_chars:
        pieces[:1] = _short_head(pieces[0], first_max_chars)
    return pieces


def _short_head(sentence: str, max_chars: int) -> list[str]:
    """The sentence cut after its first clause mark that leaves a head of MIN_CHARS to
    `max_chars`; whole when there is none (never cut mid-word)."""
    for match in _CLAUSE_END.finditer(sentence):
        if match.end() > max_chars:
            break
        head, rest = sentence[: match.end()].strip(), sentence[match.end() :].strip()
        if len(head) >= MIN_CHARS and rest:
            return [head, rest]
    return [sentence]


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.end()].strip()
        if piece:
            out.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _split_long(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    clauses: list[str] = []
    start = 0
    for match in _CLAUSE_END.finditer(sentence):
        clauses.append(sentence[start : match.end()])
        start = match.end()
    clauses.append(sentence[start:])
    out: list[str] = []
    current = ""
    for clause in clauses:
        if current and len(current) + len(clause) > max_chars:
            out.append(current)
            current = ""
        current += clause
        while len(current) > max_chars:
            out.append(current[:max_chars])
            current = current[max_chars:]
    if current:
        out.append(current)
    return [piece.strip() for piece in out if piece.strip()]


def _merge_tiny(pieces: list[str], max_chars: int) -> list[str]:
    out: list[str] = []
    for piece in pieces:
        if out and (len(piece) < MIN_CHARS or len(out[-1]) < MIN_CHARS):
            joined = _join(out[-1], piece)
            if len(joined) <= max_chars:
                out[-1] = joined
                continue
        out.append(piece)
    return out


def _join(left: str, right: str) -> str:
    # English words need a space between sentences; Chinese text does not.
    if left and right and left[-1].isascii() and right[0].isascii():
        return f"{left} {right}"
    return left + right
