"""Recognition prompts: a product's vocabulary as Whisper's `initial_prompt`, and the filter that
keeps prompt text from coming back as transcript.

Whisper follows the words and the script of the text before the audio: with "套餐、咨询、流量包"
in front it writes 套餐 where it would otherwise hear 炮参, and 咨询 instead of 资讯. Each product
gathers its tenant's terms (plan names, knowledge-base titles, hotline categories) most useful
first; `build_prompt` keeps as many as fit Whisper's prompt window.

The price of a prompt: on silence, noise or a clip cut mid-word Whisper may "continue" the prompt
and return it, or a run of its terms, as the transcript. `strip_prompt_echo` removes that: the
prompt's lead sentence anywhere, a clause that lists several prompt terms and nothing else, and
on a segment the model itself judged to be no speech, a clause made only of prompt terms.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable

import numpy as np

# Whisper keeps at most n_text_ctx // 2 - 1 = 223 prompt tokens and drops the oldest beyond
# that; staying under it keeps the lead sentence, which sets the language and script.
PROMPT_TOKENS = 220
# "以下是普通话的句子" alone is the backends' default: it fixes Mandarin and Simplified script.
LEADS = {"zh": "以下是普通话的句子", "yue": "以下是粤语的句子"}
MAX_TERM_CHARS = 16
# A clause that lists at least this many prompt terms and nothing else is the prompt coming
# back (callers do say two keywords in a row: "宽带报修").
ECHO_MIN_TERMS = 3
# Whisper's no-speech probability above which a segment made of prompt terms alone is dropped.
NO_SPEECH_ECHO = 0.4
# Every 30 ms frame quieter than this (about -50 dBFS, a quiet line's hiss) is silence: nothing
# to transcribe. Speech, even quiet speech on a phone line, peaks well above it.
SILENCE_RMS = 3e-3

_SEPARATORS = re.compile(r"[\s、，,。．.！!？?；;：:…\-—~～·'\"“”‘’（）()\[\]【】《》<>/|]+")
_CLAUSE = re.compile(r"[^，,。．！!？?；;\n]+[，,。．！!？?；;\n]*")


def _normalize(text: str) -> str:
    import zhconv

    return _SEPARATORS.sub("", zhconv.convert(text or "", "zh-cn")).lower()


@functools.lru_cache(maxsize=1)
def _encoding():
    try:
        from whisper.tokenizer import get_encoding
    except ImportError:  # openai-whisper is not installed: estimate instead
        return None
    return get_encoding("multilingual")


def count_tokens(text: str) -> int:
    """Whisper tokens of `text` as a prompt (the backends put a space in front)."""
    encoding = _encoding()
    if encoding is None:
        # Whisper's BPE spends 1-2 tokens on a common Chinese character: count the worst case.
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text) + 1
    return len(encoding.encode(" " + text))


def clean_terms(terms: Iterable[str]) -> list[str]:
    """Terms as a prompt lists them: trimmed, without list punctuation, each once, in order."""
    seen: set[str] = set()
    cleaned: list[str] = []
    for term in terms:
        term = _SEPARATORS.sub(" ", str(term or "")).strip()
        if not term or len(term) > MAX_TERM_CHARS or term.lower() in seen:
            continue
        seen.add(term.lower())
        cleaned.append(term)
    return cleaned


def build_prompt(
    terms: Iterable[str], *, language: str = "zh", budget: int = PROMPT_TOKENS
) -> str | None:
    """ "以下是普通话的句子，关于套餐、咨询、流量包。": the lead sentence the backends use by
    default, then the terms in the order given (most useful first) while the whole fits
    `budget` Whisper tokens. None when no term fits (the backend's default prompt applies)."""
    lead = LEADS.get(language, LEADS["zh"])
    chosen: list[str] = []
    for term in clean_terms(terms):
        candidate = f"{lead}，关于{'、'.join([*chosen, term])}。"
        if count_tokens(candidate) > budget:
            continue  # a shorter term further down may still fit
        chosen.append(term)
    if not chosen:
        return None
    return f"{lead}，关于{'、'.join(chosen)}。"


def prompt_terms(prompt: str | None) -> list[str]:
    """The terms a prompt lists (its text after "关于", or its comma-separated parts)."""
    if not prompt:
        return []
    body = prompt
    for lead in LEADS.values():
        body = body.replace(lead, "")
    body = body.split("关于", 1)[-1]
    return [t for t in (_normalize(part) for part in re.split(r"[、，,。]", body)) if t]


def _made_of_terms(text: str, terms: list[str]) -> int:
    """How many prompt terms `text` (normalized) is made of, or 0 when anything else is in it."""
    text = text.removeprefix("关于")  # the prompt's own link word ("…的句子，关于套餐")
    if not text:
        return 0
    ordered = sorted(set(terms), key=len, reverse=True)
    # best[i]: fewest-leftover split of text[:i] into terms; a small DP, clauses are short.
    best: list[int | None] = [0] + [None] * len(text)
    for end in range(1, len(text) + 1):
        for term in ordered:
            start = end - len(term)
            before = best[start] if start >= 0 else None
            if before is not None and text[start:end] == term:
                count = before + 1
                current = best[end]
                if current is None or count > current:
                    best[end] = count
    return best[len(text)] or 0


def strip_prompt_echo(text: str, prompt: str | None, *, no_speech_prob: float = 0.0) -> str:
    """`text` without what came from the prompt rather than the audio (see the module doc)."""
    if not text or not text.strip():
        return ""
    terms = prompt_terms(prompt)
    leads = [_normalize(lead) for lead in LEADS.values()]
    prompt_norm = _normalize(prompt or "")
    kept: list[str] = []
    for clause in _CLAUSE.findall(text):
        norm = _normalize(clause)
        for lead in leads:
            if lead in norm:
                clause = _drop_lead(clause, lead)
                norm = _normalize(clause)
        if not norm or any(_like_lead(norm, lead) for lead in leads):
            continue
        if no_speech_prob >= NO_SPEECH_ECHO and (
            any(_mostly_lead(norm, lead) for lead in leads) or _one_sound_repeated(norm)
        ):
            continue  # "这就是普通话", "证证证证证证" heard in line noise
        made_of = _made_of_terms(norm, terms)
        if made_of >= ECHO_MIN_TERMS or (made_of and no_speech_prob >= NO_SPEECH_ECHO):
            continue
        if len(norm) >= 6 and norm in prompt_norm and _spans_terms(norm, terms):
            continue  # a verbatim stretch of the prompt across its list
        kept.append(clause)
    return "".join(kept).strip()


def _like_lead(norm: str, lead: str) -> bool:
    """The clause is the lead sentence, cut short ("以下是普通话的") or misspelt as Whisper
    re-hears it ("这位是普通话的句子")."""
    if len(norm) >= 4 and lead.startswith(norm):
        return True
    if len(norm) > len(lead) + 2:
        return False
    return _shared_in_order(norm, lead) >= 0.7 * len(lead)


def _mostly_lead(norm: str, lead: str) -> bool:
    """Most of the clause's characters come from the lead, in its order ("这就是普通话")."""
    same = _shared_in_order(norm, lead)
    return same >= 0.5 * len(norm) and same >= 3


def _shared_in_order(norm: str, lead: str) -> int:
    matcher = difflib.SequenceMatcher(None, norm, lead, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def _one_sound_repeated(norm: str) -> bool:
    """Whisper's loop on noise: one or two characters over and over ("证证证证证证证证")."""
    return len(norm) >= 4 and len(set(norm)) <= 2


def _spans_terms(norm: str, terms: list[str]) -> bool:
    return not any(norm in term for term in terms)


def _drop_lead(clause: str, lead: str) -> str:
    """The clause with the lead sentence (matched across punctuation and spaces) cut out."""
    chars = [(i, ch) for i, ch in enumerate(clause) if _normalize(ch)]
    plain = "".join(_normalize(ch) for _i, ch in chars)
    at = plain.find(lead)
    if at < 0:
        return clause
    start, end = chars[at][0], chars[at + len(lead) - 1][0] + 1
    rest = clause[:start] + clause[end:]
    # "以下是普通话的句子，关于…" came back with its tail: drop a dangling "关于" too.
    return re.sub(r"^[\s，,。:：]*关于", "", rest) if not clause[:start].strip() else rest


def is_silent(samples: np.ndarray, sample_rate: int, *, frame_s: float = 0.03) -> bool:
    """No 30 ms frame of the clip is louder than `SILENCE_RMS`."""
    data = np.asarray(samples, dtype=np.float32).reshape(-1)
    if data.size == 0:
        return True
    frame = max(1, round(frame_s * sample_rate))
    whole = data.size - data.size % frame
    frames = data[:whole].reshape(-1, frame) if whole else data.reshape(1, -1)
    loudest = float(np.sqrt(np.mean(frames * frames, axis=1)).max())
    if whole < data.size:
        tail = data[whole:]
        loudest = max(loudest, float(np.sqrt(np.mean(tail * tail))))
    return loudest < SILENCE_RMS


def transcript_without_prompt(transcript, prompt: str | None):
    """`transcript` (a `suite.ai.types.Transcript`) without text that came from the prompt, for
    every engine: the Whisper backends cut it per segment already (with their no-speech
    probabilities); an operator's dialect model or a remote engine may hand it back as heard.
    Each segment is cut by its own text; the transcript's text is cut as a whole, so a segment
    joining that the engine chose is kept."""
    kept = []
    for segment in transcript.segments:
        text = strip_prompt_echo(segment.text, prompt, no_speech_prob=segment.no_speech_prob)
        if not text:
            continue
        if text != segment.text.strip():
            segment.text = (" " if segment.text.startswith(" ") else "") + text
            segment.words = _words_spelling(segment.words, text)
        kept.append(segment)
    transcript.segments = kept
    transcript.text = strip_prompt_echo(transcript.text, prompt)
    return transcript


def _words_spelling(words: list, kept: str) -> list:
    """The words that spell the end of `kept` in order (the prompt text cut from a segment comes
    before what was heard)."""
    target = "".join(kept.split())
    chosen: list = []
    remaining = target
    for word in reversed(words):
        piece = "".join(str(word.word).split())
        if piece and remaining.endswith(piece):
            chosen.append(word)
            remaining = remaining[: -len(piece)]
        elif chosen:
            break
    return list(reversed(chosen))
