"""Creating and editing drafts: settings, photos, candidate images and scenes. Drafts are saved
as the user goes; every write validates first, so a bad input leaves the draft as it was."""

from __future__ import annotations

import re
import secrets
import shutil
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from suite.ai import gateway
from suite.ai.gateway import IMAGE_STYLES
from suite.ai.labelling import image_bytes_with_metadata
from suite.jobs.models import Job
from suite.jobs.services import job_enqueue, job_set_progress
from suite.media.images import load_image

from ..catalog import MUSIC, ORIENTATIONS, THEMES, TRANSITIONS, frame_size
from ..models import (
    Candidate,
    CandidateSource,
    Draft,
    DraftKind,
    Photo,
    Ringtone,
    Scene,
    TextOrigin,
    ThemeTemplate,
)
from ..selectors import theme_get
from .common import as_validation_errors, check_text, draft_folder, media_path

MAX_PHOTOS = 6
MAX_SCENES = 12
MAX_CAPTION = 40
MAX_PROMPT = 300
MAX_VOICE = 60
CANDIDATE_SHORT_SIDE = 576
SCENE_SECONDS = (Decimal("1"), Decimal("12"))
PHOTO_MAX_BYTES = 15 * 1024 * 1024
PHOTO_MAX_SIDE = 1600  # what we keep: enough for a 1080p frame with Ken Burns headroom


@transaction.atomic
def draft_create(*, tenant, owner, theme: str, kind: str = DraftKind.PERSONAL) -> Draft:
    preset = theme_get(tenant, theme)
    if preset is None:
        raise ValidationError({"theme": _("Pick one of the theme templates.")})
    return Draft.objects.create(
        tenant=tenant,
        owner=owner,
        kind=kind,
        theme=theme,
        title=f"{preset.label} {timezone.localtime():%m-%d %H:%M}",
        prompt=preset.prompt,
        style=preset.style,
        caption=preset.caption,
        music=preset.music,
    )


def _require_length(field: str, value: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError(
            {
                field: _("At most %(limit)s characters (this has %(count)s).")
                % {"limit": limit, "count": len(value)}
            }
        )
    return value


@transaction.atomic
def draft_update(
    *,
    draft: Draft,
    title: str | None = None,
    prompt: str | None = None,
    style: str | None = None,
    caption: str | None = None,
    music: str | None = None,
    music_volume: int | None = None,
    voice_text: str | None = None,
    orientation: str | None = None,
) -> Draft:
    changes: dict = {}
    if title is not None:
        changes["title"] = _require_length("title", title, 60) or draft.title
    if prompt is not None:
        changes["prompt"] = _require_length("prompt", prompt, MAX_PROMPT)
        check_text(draft.tenant, "prompt", changes["prompt"])
    if caption is not None:
        changes["caption"] = _require_length("caption", caption, MAX_CAPTION)
        check_text(draft.tenant, "caption", changes["caption"])
    if voice_text is not None:
        changes["voice_text"] = _require_length("voice_text", voice_text, MAX_VOICE)
        check_text(draft.tenant, "voice_text", changes["voice_text"])
        if changes["voice_text"] != draft.voice_text:  # now the subscriber's own words
            changes["voice_text_origin"], changes["voice_text_model"] = TextOrigin.TYPED, ""
    if style is not None:
        if style and style not in IMAGE_STYLES:
            raise ValidationError({"style": _("Pick one of the styles.")})
        changes["style"] = style
    if music is not None:
        if music and music not in MUSIC:
            raise ValidationError({"music": _("Pick a track from the music library.")})
        changes["music"] = music
    if music_volume is not None:
        if not 0 <= int(music_volume) <= 100:
            raise ValidationError({"music_volume": _("Volume is a percentage from 0 to 100.")})
        changes["music_volume"] = int(music_volume)
    if orientation is not None:
        if orientation not in ORIENTATIONS:
            raise ValidationError({"orientation": _("Vertical or horizontal.")})
        changes["orientation"] = orientation
    for key, value in changes.items():
        setattr(draft, key, value)
    draft.save()
    return draft


def _store_image(draft: Draft, image: Image.Image, name: str) -> str:
    relative = f"{draft_folder(draft.tenant_id, draft.pk)}/{name}"
    path = media_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(path, format="JPEG", quality=90)
    return relative


@transaction.atomic
def photo_add(*, draft: Draft, data: bytes) -> Photo:
    """Validated before anything is stored: count, bytes, type, pixel count, then decoding."""
    if draft.photos.count() >= MAX_PHOTOS:
        raise ValidationError(
            {"photo": _("A draft holds at most %(max)s photos.") % {"max": MAX_PHOTOS}}
        )
    with as_validation_errors("photo"):
        image = load_image(data, max_bytes=min(PHOTO_MAX_BYTES, settings.AI_MAX_UPLOAD_BYTES))
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
    relative = _store_image(draft, image, f"photo-{uuid.uuid4().hex[:12]}.jpg")
    photo = Photo.objects.create(
        tenant=draft.tenant, draft=draft, file=relative, width=image.width, height=image.height
    )
    # The photo itself can go straight into a scene, beside its AI portraits.
    Candidate.objects.create(
        tenant=draft.tenant, draft=draft, file=relative, source=CandidateSource.UPLOAD
    )
    draft.save(update_fields=["updated_at"])
    return photo


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    candidates = Candidate.objects.for_tenant(photo.tenant).filter(
        draft=photo.draft, file=photo.file
    )
    if Scene.objects.for_tenant(photo.tenant).filter(candidate__in=candidates).exists():
        raise ValidationError({"photo": _("The photo is used in a scene; remove the scene first.")})
    candidates.delete()
    photo.delete()


def candidates_request(*, draft: Draft, user, source: str, count: int = 2) -> Job:
    """Queue candidate images on the `image` queue: from the prompt, or an AI portrait of each
    uploaded photo in the draft's style."""

    if source == CandidateSource.TEXT:
        if not draft.prompt:
            raise ValidationError({"prompt": _("Enter a prompt to generate images from.")})
        check_text(draft.tenant, "prompt", draft.prompt)
    elif source == CandidateSource.PHOTO:
        if not draft.photos.exists():
            raise ValidationError({"photo": _("Upload a photo first.")})
        if draft.prompt:
            check_text(draft.tenant, "prompt", draft.prompt)
    else:
        raise ValidationError({"source": _("Generate from the prompt or from your photos.")})
    if not 1 <= count <= 4:
        raise ValidationError({"count": _("Between 1 and 4 images at a time.")})
    job, _created = job_enqueue(
        tenant=draft.tenant,
        kind="video_ringtone.images",
        task="video_ringtone.generate_candidates",
        params={"draft_id": draft.pk, "source": source, "count": count},
        created_by=user,
    )
    return job


class StepsHeard:
    """The engine's last step, written by its thread and read by the job's."""

    def __init__(self) -> None:
        self.done = self.total = 0

    def heard(self, done: int, total: int) -> None:
        self.done, self.total = done, total


def candidates_generate(
    *, draft: Draft, source: str, count: int = 2, user=None, job: Job | None = None
) -> dict:
    """Runs in the `image` worker: the candidates of one "generate" request, one model call per
    image so the job reports real progress: 5% as the first image starts, then up to 95% image
    by image, and within an image step by step when the engine works in steps (diffusion),
    with the stage as its message; the job's success makes it 100%.
    From the prompt: `count` images (consecutive seeds); from photos: an AI portrait of each."""
    reported = [-1]

    def report(progress: int, message: str) -> None:
        if job is not None and progress != reported[0]:
            reported[0] = progress
            job_set_progress(job=job, progress=progress, message=message)

    caller = gateway.Caller(tenant=draft.tenant, user=user)
    if source == CandidateSource.TEXT:
        width, height = frame_size(draft.orientation, CANDIDATE_SHORT_SIDE)
        seed = secrets.randbelow(2**31 - 64)
        items: list = list(range(count))
    else:
        items = list(Photo.objects.for_tenant(draft.tenant).filter(draft=draft))
    total = len(items)
    made, info = [], None
    for index, item in enumerate(items):
        numbers = {"n": index + 1, "total": total}
        report(5 + 90 * index // total, _("Making image %(n)s of %(total)s") % numbers)
        steps = StepsHeard()

        def steps_report(index=index, numbers=numbers, steps=steps) -> None:
            if steps.total:
                report(
                    5 + int(90 * (index + steps.done / steps.total) / total),
                    _("Making image %(n)s of %(total)s: step %(step)s of %(steps)s")
                    % {**numbers, "step": steps.done, "steps": steps.total},
                )

        progress = {"on_step": steps.heard, "while_waiting": steps_report}
        if source == CandidateSource.TEXT:
            style = draft.style
            served = gateway.generate_image(
                caller, draft.prompt, width=width, height=height, style=style or None,
                seed=seed + item, n=1, **progress,
            )  # fmt: skip
        else:
            with Image.open(media_path(item.file)) as img:
                picture = img.convert("RGB")
            style = draft.style or "photo_portrait"
            served = gateway.edit_image(caller, picture, draft.prompt, style=style, n=1, **progress)
        result, info = served.value, served.info
        for image, plain in zip(result.images, result.unlabelled, strict=True):
            made.append(
                candidate_create(
                    draft=draft, image=image, unlabelled=plain, source=source, style=style,
                    info=info,
                )
            )  # fmt: skip
        report(5 + 90 * (index + 1) // total, _("%(n)s of %(total)s images ready") % numbers)
    return {
        "candidates": [c.pk for c in made],
        "engine": info.engine if info else "",
        "fallback": info.fallback if info else False,
    }


@transaction.atomic
def candidate_create(
    *,
    draft: Draft,
    image: Image.Image,
    source: str,
    style: str,
    info,
    unlabelled: Image.Image | None = None,
) -> Candidate:
    """`image` is what the user sees (the gateway's badged image); `unlabelled` its source
    pixels, which renders use so the video shows only its own fixed badge."""
    name = uuid.uuid4().hex[:12]
    relative = f"{draft_folder(draft.tenant_id, draft.pk)}/cand-{name}.jpg"
    path = media_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The served file keeps the implicit label (EXIF + XMP) beside the visible badge.
    path.write_bytes(
        image_bytes_with_metadata(image, provider=info.engine, content_id=info.content_id,
                                  fmt="jpeg")
    )  # fmt: skip
    source_file = _store_image(draft, unlabelled, f"src-{name}.jpg") if unlabelled else ""
    return Candidate.objects.create(
        tenant=draft.tenant,
        draft=draft,
        file=relative,
        source_file=source_file,
        source=source,
        style=style,
        engine=info.engine,
        generative=info.generative,
        fallback=info.fallback,
        content_id=info.content_id,
    )


def _duration(value) -> Decimal:
    try:
        seconds = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"duration_s": _("Enter the scene length in seconds.")}) from exc
    low, high = SCENE_SECONDS
    if not low <= seconds <= high:
        raise ValidationError(
            {
                "duration_s": _("A scene lasts %(low)s to %(high)s seconds.")
                % {"low": low, "high": high}
            }
        )
    return seconds


@transaction.atomic
def scene_add(
    *,
    draft: Draft,
    candidate: Candidate,
    caption: str = "",
    duration_s=4,
    transition: str = "fade",
) -> Scene:
    if candidate.draft_id != draft.pk or candidate.tenant_id != draft.tenant_id:
        raise ValidationError({"candidate": _("Pick one of this draft's images.")})
    if draft.scenes.count() >= MAX_SCENES:
        raise ValidationError({"candidate": _("At most %(max)s scenes.") % {"max": MAX_SCENES}})
    caption = _require_length("caption", caption, MAX_CAPTION)
    check_text(draft.tenant, "caption", caption)
    if transition not in TRANSITIONS:
        raise ValidationError({"transition": _("Pick one of the transitions.")})
    last = draft.scenes.aggregate(m=Max("position"))["m"]
    position = 0 if last is None else last + 1
    origin, model = TextOrigin.TYPED, ""
    if not caption:  # a caption written before the scene existed ("AI帮我写文案")
        taken = set(draft.scenes.values_list("caption", flat=True))
        written = suggestion_for(draft, draft.scenes.count(), taken)
        if written is not None:
            caption = written["caption"][:MAX_CAPTION]
            origin = written.get("origin") or TextOrigin.TEMPLATE
            model = written.get("model", "") if origin == TextOrigin.MODEL else ""
    scene = Scene.objects.create(
        tenant=draft.tenant,
        draft=draft,
        candidate=candidate,
        caption=caption,
        caption_origin=origin,
        caption_model=model,
        duration_s=_duration(duration_s),
        transition=transition,
        position=position,
    )
    draft.save(update_fields=["updated_at"])
    return scene


def suggestion_for(draft: Draft, position: int, taken: set[str]) -> dict | None:
    """The written caption ({"caption", "origin", "model"}) a scene added at `position` gets:
    the one for its place, else the first that no scene shows yet; None when there is none."""
    suggestions = [s for s in draft.caption_suggestions or [] if isinstance(s, dict)]
    ordered = suggestions[position : position + 1] + suggestions
    return next((s for s in ordered if s.get("caption") and s["caption"] not in taken), None)


@transaction.atomic
def scene_update(
    *,
    scene: Scene,
    caption: str | None = None,
    duration_s=None,
    transition: str | None = None,
    candidate: Candidate | None = None,
) -> Scene:
    if caption is not None:
        caption = _require_length("caption", caption, MAX_CAPTION)
        check_text(scene.tenant, "caption", caption)
        if caption != scene.caption:  # now the subscriber's own words
            scene.caption_origin, scene.caption_model = TextOrigin.TYPED, ""
        scene.caption = caption
    if duration_s is not None:
        scene.duration_s = _duration(duration_s)
    if transition is not None:
        if transition not in TRANSITIONS:
            raise ValidationError({"transition": _("Pick one of the transitions.")})
        scene.transition = transition
    if candidate is not None:  # "replace" the image
        if candidate.draft_id != scene.draft_id:
            raise ValidationError({"candidate": _("Pick one of this draft's images.")})
        scene.candidate = candidate
    scene.save()
    scene.draft.save(update_fields=["updated_at"])
    return scene


@transaction.atomic
def scene_move(*, scene: Scene, offset: int) -> Scene:
    """Swap the scene with its neighbour (offset -1: earlier, +1: later)."""
    scenes = list(scene.draft.scenes.all())
    index = next(i for i, s in enumerate(scenes) if s.pk == scene.pk)
    target = index + offset
    if 0 <= target < len(scenes):
        scenes[index], scenes[target] = scenes[target], scenes[index]
    for position, item in enumerate(scenes):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    scene.refresh_from_db()
    return scene


@transaction.atomic
def scene_delete(*, scene: Scene) -> None:
    draft = scene.draft
    scene.delete()
    for position, item in enumerate(draft.scenes.all()):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


@transaction.atomic
def draft_delete(*, draft: Draft) -> None:
    """A draft whose video was submitted stays: the ringtone (and its review) needs the video."""
    if Ringtone.objects.for_tenant(draft.tenant).filter(render__draft=draft).exists():
        raise ValidationError(
            {"draft": _("This draft has a submitted ringtone and cannot be deleted.")}
        )
    folder = media_path(draft_folder(draft.tenant_id, draft.pk))
    draft.delete()
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


@transaction.atomic
def draft_copy_from_ringtone(*, ringtone: Ringtone, owner) -> Draft:
    """一键设置同款: the ringtone's settings and scenes as a new draft the user can edit."""
    spec = ringtone.spec
    draft = Draft.objects.create(
        tenant=ringtone.tenant,
        owner=owner,
        title=ringtone.title[:60],
        theme=spec.get("theme", "blessing"),
        prompt=spec.get("prompt", ""),
        style=spec.get("style", ""),
        caption=spec.get("caption", ""),
        music=spec.get("music", ""),
        music_volume=spec.get("music_volume", 70),
        voice_text=spec.get("voice_text", ""),
        orientation=spec.get("orientation", "portrait"),
        copied_from=ringtone,
    )
    folder = media_path(draft_folder(draft.tenant_id, draft.pk))
    folder.mkdir(parents=True, exist_ok=True)
    for position, item in enumerate(spec.get("scenes", [])):
        # "image" is what was rendered (unbadged source pixels), "display" what the user saw.
        name = uuid.uuid4().hex[:12]
        display = item.get("display", item["image"])
        shutil.copyfile(media_path(display), folder / f"copy-{name}.jpg")
        source_file = ""
        if display != item["image"]:
            source_file = f"{draft_folder(draft.tenant_id, draft.pk)}/src-{name}.jpg"
            shutil.copyfile(media_path(item["image"]), media_path(source_file))
        candidate = Candidate.objects.create(
            tenant=draft.tenant,
            draft=draft,
            file=f"{draft_folder(draft.tenant_id, draft.pk)}/copy-{name}.jpg",
            source_file=source_file,
            source=item.get("source", CandidateSource.TEXT),
            engine=item.get("engine", ""),
            generative=item.get("generative", False),
            fallback=item.get("fallback", False),
            content_id=item.get("content_id", ""),
        )
        Scene.objects.create(
            tenant=draft.tenant,
            draft=draft,
            candidate=candidate,
            caption=item.get("caption", ""),
            duration_s=Decimal(str(item.get("duration_s", 4))),
            transition=item.get("transition", "fade"),
            position=position,
        )
    return draft


@transaction.atomic
def theme_create(
    *,
    tenant,
    key: str,
    label: str,
    prompt: str,
    caption: str = "",
    style: str = "",
    music: str = "",
) -> ThemeTemplate:
    """A tenant's own theme template; its texts pass the same checks as a draft's."""
    key = (key or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,29}", key):
        raise ValidationError(
            {"key": _("2-30 lowercase letters, digits, - or _, starting with a letter or digit.")}
        )
    if key in THEMES or ThemeTemplate.objects.for_tenant(tenant).filter(key=key).exists():
        raise ValidationError({"key": _("A theme template with this key exists already.")})
    label = _require_length("label", label, 20)
    if not label:
        raise ValidationError({"label": _("Give the template a name.")})
    prompt = _require_length("prompt", prompt, MAX_PROMPT)
    caption = _require_length("caption", caption, MAX_CAPTION)
    for field, text in (("label", label), ("prompt", prompt), ("caption", caption)):
        check_text(tenant, field, text)
    if style and style not in IMAGE_STYLES:
        raise ValidationError({"style": _("Pick one of the styles.")})
    if music and music not in MUSIC:
        raise ValidationError({"music": _("Pick a track from the music library.")})
    return ThemeTemplate.objects.create(
        tenant=tenant, key=key, label=label, prompt=prompt, caption=caption, style=style,
        music=music,
    )  # fmt: skip


@transaction.atomic
def theme_delete(*, theme: ThemeTemplate) -> None:
    # Drafts keep their copied texts; only the offer to start new ones goes.
    theme.delete()
