"""Captions and the greeting written by the language model from the draft's theme and prompt.

One short chat call in JSON constrained by a schema (llama.cpp and vLLM decode it as a grammar):
a caption per scene (2 to 4) and a spoken greeting, in Chinese. What the model wrote goes where
the subscriber has not typed their own text (empty fields, template text, text a model wrote
before): the subscriber keeps editing the draft, so a second press re-writes the machine's text
and never a word of theirs; a field they cleared is theirs to have written again. Every text
records who wrote it (`TextOrigin`) and which model, so pages and the API label it
"AI生成 · <model>".

A model that repeats a line (the 1.5B sometimes writes the same caption for two parts) is asked
once more; when the second answer is still short of a line per scene, the scenes it did not
cover get the theme's template lines, each scene labelled with who wrote it, so no scene is
left empty while the whole answer is labelled as the model's.

Without a language model, or when it fails, answers something unusable or something the safety
check blocks, the theme's template text fills only the fields that are empty or already hold
template text (never a model's earlier text), labelled as template text. Phone and ID numbers in
the prompt are masked by the gateway before the model sees them. The call runs outside any
transaction; the writes happen afterwards in a short one that re-reads the rows, so a caption
typed while the model was writing is kept.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.types import ChatMessage, JsonFailure
from suite.privacy import mask_text

from ..catalog import Theme
from ..models import Draft, Scene, TextOrigin
from ..selectors import theme_get
from .common import check_text
from .drafts import MAX_CAPTION, MAX_VOICE
from .ratelimits import rate_check

logger = logging.getLogger(__name__)

MIN_CAPTIONS, MAX_CAPTIONS = 2, 4
DEFAULT_CAPTIONS = 3  # before the draft has scenes
# One scene's caption per part, in scene order.
ROLES = ("开场", "祝愿", "心意", "结尾")
ROLE_HINTS = {
    "开场": "开场是称呼和问候",
    "祝愿": "祝愿是具体的祝福",
    "心意": "心意是想说的心里话",
    "结尾": "结尾是收尾的一句",
}
# What the prompt asks for: one line of the renderer's caption band on a phone (about 13
# characters) and a greeting read in a few seconds. The grammar allows a little more, so a
# line is rarely cut mid-word; the hard limits are MAX_CAPTION and MAX_VOICE.
CAPTION_CHARS = min(12, MAX_CAPTION)
CAPTION_SCHEMA_CHARS = min(20, MAX_CAPTION)
GREETING_CHARS = min(24, MAX_VOICE)
GREETING_SCHEMA_CHARS = min(36, MAX_VOICE)
MAX_TOKENS = 160
ATTEMPTS = 2  # a second try when the model repeats a line, not more: each costs seconds

SYSTEM_PROMPT = (
    "你是5G视频彩铃的文案助手。来电的人在等待接通时会看到这段视频、听到开头的一句语音。"
    "根据主题和用户的描述，用简体中文写{n}个画面的字幕（scenes，每句不超过{c}个字，"
    "意思各不相同：{hints}）和一句开场语音祝福（greeting，不超过{g}个字）。"
    "喜庆、温暖、有人情味；用上描述里的称呼；不写电话号码，不用表情符号，不编造描述里没有的人名。"
)

SOURCE_MODEL, SOURCE_TEMPLATE = "model", "template"
# Why the template answered instead of the model.
NO_MODEL, MODEL_FAILED, INVALID_ANSWER, BLOCKED = "no_model", "model_failed", "invalid", "blocked"


@dataclass
class CaptionsResult:
    source: str  # "model" or "template"
    model: str = ""
    reason: str = ""  # why the template answered: no_model, model_failed, invalid, blocked
    captions: list[str] = field(default_factory=list)
    # How many of `captions`, from the first, the model wrote; the rest are template lines.
    model_lines: int = 0
    greeting: str = ""
    filled_scenes: list[int] = field(default_factory=list)  # scene ids written now
    kept_scenes: list[int] = field(default_factory=list)  # scene ids the subscriber wrote
    template_scenes: list[int] = field(default_factory=list)  # filled now with template text
    greeting_filled: bool = False
    greeting_kept: bool = False
    message: str = ""


def caption_count(scenes: int) -> int:
    return min(MAX_CAPTIONS, max(MIN_CAPTIONS, scenes or DEFAULT_CAPTIONS))


def captions_schema(count: int) -> dict:
    """Named parts rather than a list: asked for a list, the 1.5B wrote the same line for every
    scene; a part each (opening, wish, ...) gives distinct lines in scene order."""
    roles = list(ROLES[:count])
    caption = {"type": "string", "minLength": 2, "maxLength": CAPTION_SCHEMA_CHARS}
    return {
        "type": "object",
        "properties": {
            "scenes": {
                "type": "object",
                "properties": {role: caption for role in roles},
                "required": roles,
            },
            "greeting": {"type": "string", "minLength": 4, "maxLength": GREETING_SCHEMA_CHARS},
        },
        "required": ["scenes", "greeting"],
    }


_QUOTES = "\"'“”‘’「」『』《》【】"
_BREAK = re.compile(r"[，。！？；、,.!?;]")


def clean_text(text: str, limit: int) -> str:
    """One line of plain text within `limit` characters: no quotes, emoji or symbols the
    caption font cannot draw, phone and ID numbers masked; cut at a pause when too long."""
    text = unicodedata.normalize("NFC", str(text or ""))  # NFKC would turn ，into ,
    text = "".join(
        ch
        for ch in text
        if ord(ch) <= 0xFFFF and unicodedata.category(ch) not in ("So", "Cs", "Co", "Cc", "Cf")
    )
    text = mask_text(" ".join(text.split()).strip(_QUOTES + " "))
    if len(text) <= limit:
        return text
    head = text[:limit]
    pauses = [m.start() for m in _BREAK.finditer(head)]
    cut = pauses[-1] if pauses and pauses[-1] >= limit // 2 else limit
    return head[:cut].rstrip()


def _uncut(text: str, grammar_limit: int) -> str:
    """A line that filled the grammar's limit was most likely cut mid-word: end it at its last
    pause instead, when it has one in its second half."""
    return clean_text(text, grammar_limit - 1) if len(text) >= grammar_limit else text


def _parse(data: dict, count: int) -> tuple[list[str], str] | None:
    scenes = data.get("scenes")
    if isinstance(scenes, dict):
        scenes = [scenes.get(role) for role in ROLES[:count]]
    if not isinstance(scenes, list):  # a backend without grammars may answer a plain list
        return None
    captions: list[str] = []
    for item in scenes[:count]:
        value = item.get("caption") if isinstance(item, dict) else item
        caption = (
            _uncut(clean_text(value, MAX_CAPTION), CAPTION_SCHEMA_CHARS)
            if isinstance(value, str)
            else ""
        )
        if caption and caption not in captions:
            captions.append(caption)
    greeting = data.get("greeting")
    greeting = (
        _uncut(clean_text(greeting, MAX_VOICE), GREETING_SCHEMA_CHARS)
        if isinstance(greeting, str)
        else ""
    )
    if len(captions) < min(MIN_CAPTIONS, count) or not greeting:
        return None
    return captions, greeting


def _safe(tenant, captions: list[str], greeting: str) -> bool:
    try:
        for text in captions:
            check_text(tenant, "caption", text)
        check_text(tenant, "voice_text", greeting)
    except ValidationError:
        return False
    return True


def _ask_model(draft: Draft, user, theme: Theme | None, count: int) -> CaptionsResult:
    """What the model wrote, or the reason the template must answer. Outside a transaction."""
    with translation.override("zh-hans"):  # the prompt is Chinese whatever the page's language
        label = str(theme.label) if theme else draft.theme
    request = f"主题：{label}\n描述：{draft.prompt or label}"
    hints = "，".join(ROLE_HINTS[role] for role in ROLES[:count])
    system = SYSTEM_PROMPT.format(n=count, c=CAPTION_CHARS, g=GREETING_CHARS, hints=hints)
    messages = [ChatMessage("system", system), ChatMessage("user", request)]
    best: CaptionsResult | None = None
    for _attempt in range(ATTEMPTS):
        result = _one_answer(draft, user, messages, count)
        if result.source == SOURCE_TEMPLATE:
            return best or result
        if best is None or len(result.captions) > len(best.captions):
            best = result
        if len(best.captions) >= count:
            break
        logger.info("captions for draft %s: the model repeated a line; asking again", draft.pk)
    assert best is not None  # ATTEMPTS >= 1
    return best


def _one_answer(draft: Draft, user, messages: list[ChatMessage], count: int) -> CaptionsResult:
    reply = gateway.chat_json(
        gateway.Caller(tenant=draft.tenant, user=user),
        messages,
        captions_schema(count),
        name="ringtone_captions",
        max_tokens=MAX_TOKENS,
        temperature=0.7,  # a second press (or a second try) should offer different text
    )
    if reply.failure is JsonFailure.REFUSED:
        # The subscriber's own prompt was refused (prohibited terms, an injection attempt).
        raise ValidationError({"prompt": reply.error})
    if reply.data is None:
        return CaptionsResult(
            source=SOURCE_TEMPLATE, reason=_TEMPLATE_REASONS[cast(JsonFailure, reply.failure)]
        )
    parsed = _parse(reply.data, count)
    if parsed is None:
        logger.warning("captions for draft %s: the answer has too few usable lines", draft.pk)
        return CaptionsResult(source=SOURCE_TEMPLATE, reason=INVALID_ANSWER)
    captions, greeting = parsed
    if not _safe(draft.tenant, captions, greeting):
        return CaptionsResult(source=SOURCE_TEMPLATE, reason=BLOCKED)
    return CaptionsResult(
        source=SOURCE_MODEL,
        model=reply.model,
        captions=captions,
        model_lines=len(captions),
        greeting=greeting,
    )


_TEMPLATE_REASONS = {
    JsonFailure.NOT_CONFIGURED: NO_MODEL,
    JsonFailure.UNAVAILABLE: MODEL_FAILED,
    JsonFailure.NOT_GENERATIVE: MODEL_FAILED,  # the extractive answerer: it cannot write
    JsonFailure.BLOCKED: BLOCKED,
    JsonFailure.INVALID: INVALID_ANSWER,
}


def _writable(text: str, origin: str, source: str) -> bool:
    """The model replaces anything but the subscriber's own text; the template only fills
    what is empty or template text, so it never undoes a model's earlier work."""
    if not text.strip():
        return True
    if source == SOURCE_MODEL:
        return origin in (TextOrigin.TEMPLATE, TextOrigin.MODEL)
    return origin == TextOrigin.TEMPLATE


def _message(result: CaptionsResult) -> str:
    wrote = bool(result.filled_scenes or result.greeting_filled)
    if result.source == SOURCE_MODEL:
        text = _("The AI (%(model)s) wrote the captions and the greeting; edit them as you like.")
        text %= {"model": result.model}
    elif result.reason == NO_MODEL:
        text = _("No language model is available, so template text was filled in instead.")
    elif result.reason == BLOCKED:
        text = _("The AI's text did not pass the content check, so template text was used.")
    else:
        text = _("The AI could not write the text this time, so template text was used.")
    if result.source != SOURCE_MODEL and not wrote:
        text = _("The AI could not write the text this time; nothing was changed.")
        if result.reason == NO_MODEL:
            text = _("No language model is available; nothing was changed.")
    if result.source == SOURCE_MODEL and result.template_scenes:
        text += " " + _("Scenes the AI did not write a separate line for got template text.")
    if result.kept_scenes or result.greeting_kept:
        text += " " + _("Text you typed yourself was kept.")
    if not wrote and (result.kept_scenes or result.greeting_kept):
        text += " " + _("Clear a caption or the greeting and press again to have it written.")
    return text


def captions_suggest(*, draft: Draft, user) -> CaptionsResult:
    """Write 2-4 scene captions and a greeting into the draft (see the module docstring).
    Raises RateLimited past the per-user limit, ValidationError when the prompt is refused."""
    rate_check(tenant=draft.tenant, user=user, action="captions")
    check_text(draft.tenant, "prompt", draft.prompt)
    theme = theme_get(draft.tenant, draft.theme)
    count = caption_count(draft.scenes.count())
    result = _ask_model(draft, user, theme, count)
    template = list(theme.template_lines if theme else ())
    if result.source == SOURCE_TEMPLATE:
        result.captions = template[:count]
        result.greeting = clean_text(theme.template_greeting, MAX_VOICE) if theme else ""
    else:
        spare = [line for line in template if line not in result.captions]
        result.captions += spare[: count - len(result.captions)]
    _write(draft, result)
    result.message = _message(result)
    return result


def _line_source(result: CaptionsResult, index: int) -> tuple[str, str, str]:
    """Who wrote caption `index`: (source, TextOrigin, model name)."""
    if result.source == SOURCE_MODEL and index < result.model_lines:
        return SOURCE_MODEL, TextOrigin.MODEL, result.model
    return SOURCE_TEMPLATE, TextOrigin.TEMPLATE, ""


@transaction.atomic
def _write(draft: Draft, result: CaptionsResult) -> None:
    locked = Draft.objects.select_for_update().get(pk=draft.pk, tenant=draft.tenant)
    scenes = list(Scene.objects.for_tenant(draft.tenant).select_for_update().filter(draft=locked))
    for index, caption in enumerate(result.captions[: len(scenes)]):
        scene = scenes[index]
        source, origin, model = _line_source(result, index)
        if _writable(scene.caption, scene.caption_origin, source):
            scene.caption, scene.caption_origin, scene.caption_model = caption, origin, model
            scene.save(update_fields=["caption", "caption_origin", "caption_model"])
            result.filled_scenes.append(scene.pk)
            if source == SOURCE_TEMPLATE:
                result.template_scenes.append(scene.pk)
        elif scene.caption_origin == TextOrigin.TYPED:
            result.kept_scenes.append(scene.pk)
    # For scenes not added yet (and shown on the page as what they will get).
    previous = list(locked.caption_suggestions or [])
    suggestions = []
    for index, caption in enumerate(result.captions):
        before = previous[index] if index < len(previous) else None
        source, origin, model = _line_source(result, index)
        if source == SOURCE_TEMPLATE and before and before.get("origin") == "model":
            suggestions.append(before)  # keep the model's earlier line
        else:
            suggestions.append({"caption": caption, "origin": origin, "model": model})
    if result.source == SOURCE_TEMPLATE:
        suggestions += previous[len(suggestions) :]
    locked.caption_suggestions = suggestions
    origin = TextOrigin.MODEL if result.source == SOURCE_MODEL else TextOrigin.TEMPLATE
    model = result.model if result.source == SOURCE_MODEL else ""
    if result.greeting:
        if _writable(locked.voice_text, locked.voice_text_origin, result.source):
            locked.voice_text = result.greeting
            locked.voice_text_origin, locked.voice_text_model = origin, model
            result.greeting_filled = True
        elif locked.voice_text_origin == TextOrigin.TYPED:
            result.greeting_kept = True
    locked.save(
        update_fields=[
            "caption_suggestions", "voice_text", "voice_text_origin", "voice_text_model",
            "updated_at",
        ]
    )  # fmt: skip
    draft.refresh_from_db()
