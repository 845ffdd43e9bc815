"""Starting a render (validated now, in the request) and running it (in the `video` worker)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image

from suite.ai import gateway
from suite.ai.labelling import (
    VIDEO_BADGE_POSITION,
    image_bytes_with_metadata,
    label_image,
    new_content_id,
)
from suite.jobs.models import Job
from suite.jobs.services import job_enqueue, job_set_progress

from ..audio import soundtrack
from ..catalog import MUSIC, PROFILES, frame_size
from ..models import Draft, Render, RenderStatus
from ..render import SceneInput, render_video
from ..selectors import limits_for
from .common import check_text, media_path, render_folder

PROVIDER = "video_ringtone"
FPS = 25


def draft_spec(draft: Draft) -> dict:
    """A frozen copy of what is rendered, so edits after this do not change the render."""
    scenes = [
        {
            # Rendered from the unbadged source: the video adds its own fixed badge.
            "image": scene.candidate.source_file or scene.candidate.file,
            "display": scene.candidate.file,
            "caption": scene.caption or (draft.caption if index == 0 else ""),
            "duration_s": float(scene.duration_s),
            "transition": scene.transition,
            "source": scene.candidate.source,
            "engine": scene.candidate.engine,
            "generative": scene.candidate.generative,
            "fallback": scene.candidate.fallback,
            "content_id": scene.candidate.content_id,
        }
        for index, scene in enumerate(draft.scenes.select_related("candidate"))
    ]
    return {
        "theme": draft.theme,
        "prompt": draft.prompt,
        "style": draft.style,
        "caption": draft.caption,
        "music": draft.music,
        "music_volume": draft.music_volume,
        "voice_text": draft.voice_text,
        "orientation": draft.orientation,
        "scenes": scenes,
    }


def spec_texts(spec: dict) -> list[tuple[str, str]]:
    texts = [("prompt", spec.get("prompt", "")), ("caption", spec.get("caption", ""))]
    texts.append(("voice_text", spec.get("voice_text", "")))
    texts += [("caption", s.get("caption", "")) for s in spec.get("scenes", [])]
    return [(field, text) for field, text in texts if text]


def duration_problem(tenant, seconds: float) -> str:
    limits = limits_for(tenant)
    if seconds < limits.min_duration_s or seconds > limits.max_duration_s:
        return _(
            "The ringtone lasts %(seconds).1f s; it must last %(low)s to %(high)s seconds."
        ) % {"seconds": seconds, "low": limits.min_duration_s, "high": limits.max_duration_s}
    return ""


def render_start(*, draft: Draft, user, profile: str = "standard") -> Render:

    if profile not in PROFILES:
        raise ValidationError({"profile": _("Pick 480p, 720p or 1080p.")})
    spec = draft_spec(draft)
    if not spec["scenes"]:
        raise ValidationError({"scenes": _("Add at least one scene before rendering.")})
    problem = duration_problem(draft.tenant, sum(s["duration_s"] for s in spec["scenes"]))
    if problem:
        raise ValidationError({"scenes": problem})
    for field, text in spec_texts(spec):
        check_text(draft.tenant, field, text)
    width, height = frame_size(draft.orientation, PROFILES[profile])
    with transaction.atomic():
        render = Render.objects.create(
            tenant=draft.tenant, draft=draft, spec=spec, width=width, height=height
        )
        job, _created = job_enqueue(
            tenant=draft.tenant,
            kind="video_ringtone.render",
            task="video_ringtone.render",
            params={"render_id": str(render.pk)},
            idempotency_key=f"render-{render.pk}",
            created_by=user,
        )
        render.job = job
        render.save(update_fields=["job"])
    return render


def _voice(render: Render, caller: gateway.Caller):
    text = render.spec.get("voice_text", "")
    if not text:
        return None, ""
    served = gateway.synthesize(caller, text)
    return served.value, served.info.engine


def render_inline(*, draft: Draft, user, profile: str = "low") -> Render:
    """Render in this process, without a job (the demo seeding uses it before workers run)."""
    width, height = frame_size(draft.orientation, PROFILES[profile])
    render = Render.objects.create(
        tenant=draft.tenant, draft=draft, spec=draft_spec(draft), width=width, height=height
    )
    render_execute(render=render, job=None, user=user)
    return render


def render_execute(
    *, render: Render, job: Job | None, user=None, content_id: str | None = None
) -> dict:
    """Runs in the `video` worker. Progress, each step reported as it starts: 2-6 loading the
    scenes (one step each), 6 the spoken greeting, 10-95 the frames (every 2%, "frame n of
    N"), 96 the poster; the job's success makes it 100."""
    render.status = RenderStatus.RUNNING
    render.save(update_fields=["status"])
    spec = render.spec
    caller = gateway.Caller(tenant=render.tenant, user=job.created_by if job else user)

    def report(progress: int, message: str) -> None:
        if job is not None:
            job_set_progress(job=job, progress=progress, message=message)

    try:
        scenes = []
        count = len(spec["scenes"])
        for index, item in enumerate(spec["scenes"]):
            report(
                2 + 4 * index // max(1, count),
                _("Preparing scene %(n)s of %(total)s") % {"n": index + 1, "total": count},
            )
            with Image.open(media_path(item["image"])) as img:
                scenes.append(
                    SceneInput(
                        image=img.convert("RGB"),
                        caption=item["caption"],
                        duration_s=item["duration_s"],
                        transition=item["transition"],
                    )
                )
        frames = sum(round(s.duration_s * FPS) for s in scenes)
        duration = frames / FPS
        if spec.get("voice_text"):
            report(6, _("Recording the spoken greeting"))
        voice, voice_engine = _voice(render, caller)
        track = MUSIC.get(spec.get("music") or "")
        audio = soundtrack(
            duration,
            music=track.path if track else None,
            volume=spec.get("music_volume", 70) / 100,
            voice=voice,
        )
        report(10, _("Composing frames"))
        engines = sorted({s["engine"] for s in spec["scenes"] if s.get("engine")})
        provider = f"{PROVIDER} ({', '.join(engines + ([voice_engine] if voice_engine else []))})"
        content_id = content_id or new_content_id()
        folder = render_folder(render.tenant_id, render.pk)
        media_path(folder).mkdir(parents=True, exist_ok=True)
        video_rel = f"{folder}/ringtone.mp4"
        step = {"last": 10}

        def progress(fraction: float) -> None:
            value = 10 + int(fraction * 85)
            if value >= step["last"] + 2:
                step["last"] = value
                done = min(frames, round(fraction * frames))
                report(value, _("Frame %(n)s of %(total)s") % {"n": done, "total": frames})

        output = render_video(
            scenes,
            width=render.width,
            height=render.height,
            out=media_path(video_rel),
            provider=provider,
            content_id=content_id,
            audio=audio,
            fps=FPS,
            progress=progress,
        )
        report(96, _("Making the poster"))
        poster = label_image(
            Image.fromarray(output.poster),
            provider=provider,
            content_id=content_id,
            position=VIDEO_BADGE_POSITION,  # the player's controls cover a poster's bottom
        )
        poster_rel = f"{folder}/poster.jpg"
        media_path(poster_rel).write_bytes(
            image_bytes_with_metadata(poster, provider=provider, content_id=content_id, fmt="jpeg")
        )
    except Exception as exc:
        render.status = RenderStatus.FAILED
        render.error = f"{type(exc).__name__}: {exc}"[:2000]
        render.save(update_fields=["status", "error"])
        raise
    render.status = RenderStatus.DONE
    render.video = video_rel
    render.poster = poster_rel
    render.duration_s = output.duration_s
    render.provider = provider
    render.content_id = content_id
    render.save()
    return {
        "render_id": str(render.pk),
        "duration_s": output.duration_s,
        "width": render.width,
        "height": render.height,
        "content_id": content_id,
    }


def renditions_start(*, ringtone) -> Job | None:
    """After approval: the other device profiles' renditions, on the `video` queue. The job
    is the owner's (they follow it on /ws/jobs/), whoever approved the ringtone."""

    base = ringtone.render
    wanted = []
    for profile, short_side in PROFILES.items():
        width, height = frame_size(base.spec.get("orientation", "portrait"), short_side)
        if (width, height) != (base.width, base.height):
            wanted.append((profile, width, height))
    if not wanted:
        return None
    with transaction.atomic():
        for _profile, width, height in wanted:
            Render.objects.create(
                tenant=ringtone.tenant, draft=base.draft, spec=base.spec, width=width,
                height=height, rendition_of=ringtone,
            )  # fmt: skip
        job, _created = job_enqueue(
            tenant=ringtone.tenant,
            kind="video_ringtone.renditions",
            task="video_ringtone.renditions",
            params={"ringtone_id": ringtone.pk},
            idempotency_key=f"renditions-{ringtone.pk}",
            created_by=ringtone.owner,
        )
    return job


def renditions_execute(*, ringtone, job: Job) -> dict:
    """Renders the queued renditions with the approved render's content id (one AIGC record
    for every file of the same ringtone); a redelivered job skips what is done."""
    pending = list(
        Render.objects.for_tenant(ringtone.tenant)
        .filter(rendition_of=ringtone)
        .exclude(status=RenderStatus.DONE)
        .order_by("width")
    )
    for index, render in enumerate(pending):
        job_set_progress(
            job=job,
            progress=100 * index // len(pending),
            message=_("Rendering %(w)sx%(h)s") % {"w": render.width, "h": render.height},
        )
        render_execute(
            render=render, job=None, user=job.created_by, content_id=ringtone.render.content_id
        )
    return {"renditions": [str(r.pk) for r in pending]}
