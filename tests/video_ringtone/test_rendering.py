"""Rendering end to end on the `video` queue: the MP4 is probed like ffprobe would, the label
is found in the pixels, the metadata names the provider and the content id."""

import av
import numpy as np
import pytest
from PIL import Image

from suite.ai.labelling import (
    VIDEO_BADGE_POSITION,
    badge_box,
    badge_height_for,
    read_image_metadata,
    read_media_metadata,
    render_badge,
)
from suite.celery import app
from suite.jobs.models import Job, JobStatus
from video_ringtone import checks, tasks
from video_ringtone.catalog import frame_size
from video_ringtone.models import RenderStatus
from video_ringtone.render import PLAYER_CONTROLS_SHARE, SceneInput, render_video
from video_ringtone.services import rendering
from video_ringtone.services.common import media_path

from .conftest import draft_with_scenes, picture


def probe(path):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        info = {
            "video_codec": video.codec_context.name,
            "audio_codec": audio.codec_context.name,
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "duration": float(container.duration / av.time_base),
        }
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return info, frames


def test_tasks_are_routed_to_the_image_and_video_queues():
    route = app.amqp.router.route
    assert (
        route({}, tasks.render_ringtone.name, task_type=tasks.render_ringtone)["queue"].name
        == "video"
    )
    assert (
        route({}, tasks.generate_candidates.name, task_type=tasks.generate_candidates)["queue"].name
        == "image"
    )
    assert (
        route({}, tasks.check_ringtone.name, task_type=tasks.check_ringtone)["queue"].name
        == "video"
    )


@pytest.mark.django_db
def test_render_job_writes_a_labelled_h264_aac_mp4_and_poster(
    tenant_a, subscriber_a, short_limits, eager, tiny, django_capture_on_commit_callbacks
):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.2, music="warm_piano")
    with django_capture_on_commit_callbacks(execute=True):
        render = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
    render.refresh_from_db()
    job = Job.objects.get(pk=render.job_id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert render.status == RenderStatus.DONE
    width, height = frame_size("portrait", 96)
    assert (render.width, render.height) == (width, height)

    info, frames = probe(media_path(render.video))
    assert info["video_codec"] == "h264"
    assert info["audio_codec"] == "aac"
    assert (info["width"], info["height"]) == (width, height)
    assert info["duration"] == pytest.approx(2.4, abs=0.15)
    assert len(frames) == round(2.4 * rendering.FPS)

    record = read_media_metadata(media_path(render.video))
    assert record["Label"] == "AI生成"
    assert record["ProduceID"] == render.content_id
    assert record["ContentProducer"] == render.provider
    assert render.provider.startswith("video_ringtone")

    poster = media_path(render.poster)
    assert read_image_metadata(poster.read_bytes())["ProduceID"] == render.content_id
    with Image.open(poster) as img:
        assert img.size == (width, height)
    # the poster's badge is where the video's is: clear of the player's controls at the bottom
    (left, top, right, bottom), text = _badge_pixels(width, height)
    with Image.open(poster) as img:
        box = np.asarray(img.convert("L"), dtype=int)[top:bottom, left:right]
    assert box[text].mean() > box[~text].mean() + 40


def _badge_pixels(width, height):
    badge = np.asarray(render_badge(badge_height_for(width, height)))
    left, top, right, bottom = badge_box(
        (width, height), (badge.shape[1], badge.shape[0]), VIDEO_BADGE_POSITION
    )
    text = badge[:, :, 0] > 150
    return (left, top, right, bottom), text


def test_the_ai_label_is_visible_in_every_frame(tmp_path):
    width, height = 360, 640  # a badge large enough to compare text and box pixels
    white = Image.new("RGB", (360, 640), (235, 235, 235))
    out = tmp_path / "x.mp4"
    render_video(
        [SceneInput(white, "", 1.0, "fade"), SceneInput(picture(3), "你好", 1.0, "cut")],
        width=width,
        height=height,
        out=out,
        provider="test",
        content_id="c1",
    )
    _info, frames = probe(out)
    (left, top, right, bottom), text = _badge_pixels(width, height)
    first = frames[5].astype(int)
    region = first[top:bottom, left:right].mean(axis=2)
    fill = ~text
    # White scene: the badge's box is darkened, and its text stays bright.
    assert region[fill].mean() < 200
    assert region[text].mean() > region[fill].mean() + 60
    for frame in frames:
        box = frame[top:bottom, left:right].astype(int).mean(axis=2)
        assert box[text].mean() > box[fill].mean() + 40


@pytest.mark.parametrize(("width", "height"), [(180, 320), (320, 180)])
def test_captions_are_drawn_in_cjk_above_the_players_controls(tmp_path, width, height):
    grey = Image.new("RGB", (360, 640), (128, 128, 128))
    plain, captioned = tmp_path / "a.mp4", tmp_path / "b.mp4"
    for path, caption in ((plain, ""), (captioned, "妈妈，生日快乐！")):
        render_video([SceneInput(grey, caption, 1.0)], width=width, height=height, out=path,
                     provider="t", content_id="c")  # fmt: skip
    _, a = probe(plain)
    _, b = probe(captioned)
    diff = np.abs(a[-1].astype(int) - b[-1].astype(int)).mean(axis=2)
    rows = np.where(diff.max(axis=1) > 60)[0]
    assert len(rows) > 5  # text strokes differ from the plain frame
    assert rows.min() > height // 2  # in the lower half
    # A paused player's controls cover the bottom: the caption (and so the poster's) is above.
    assert rows.max() < height * (1 - PLAYER_CONTROLS_SHARE)


def test_ken_burns_moves_and_the_automatic_checks_pass_on_a_normal_render(tmp_path):
    out = tmp_path / "x.mp4"
    render_video(
        [SceneInput(picture(1), "", 2.0, "slide_left"), SceneInput(picture(2), "", 2.0)],
        width=96, height=170, out=out, provider="t", content_id="c",
        audio=np.sin(np.linspace(0, 2000 * np.pi, 44100 * 4)).astype(np.float32) * 0.3,
    )  # fmt: skip
    frames = checks.probe_frames(out, 96, 170)
    assert checks.check_frozen(frames).status == checks.PASS
    assert checks.check_black(frames).status == checks.PASS
    statuses = {r.key: r.status for r in checks.check_audio(checks.probe_audio(out))}
    assert statuses == {"silence": checks.PASS, "loudness": checks.PASS}


def test_black_frozen_and_silent_renders_are_caught(tmp_path):
    out = tmp_path / "black.mp4"
    black = Image.new("RGB", (200, 200), (0, 0, 0))
    render_video([SceneInput(black, "", 2.0)], width=96, height=170, out=out,
                 provider="t", content_id="c")  # fmt: skip
    frames = checks.probe_frames(out, 96, 170)
    # The badge is the only thing in the frame: black, and nothing moves.
    assert checks.check_black(frames).status == checks.FAIL
    assert checks.check_frozen(frames).status == checks.FAIL
    # A black picture has nothing to pan over: the black check says it, not the frozen one.
    moving = checks.expected_motion([(2.0, False)], len(frames) - 1)
    assert checks.check_frozen(frames, moving).status == checks.PASS
    statuses = {r.key: r.status for r in checks.check_audio(checks.probe_audio(out))}
    assert statuses["silence"] == checks.WARN


@pytest.mark.django_db
def test_a_real_480p_landscape_rendition(
    tenant_a, subscriber_a, short_limits, eager, django_capture_on_commit_callbacks
):
    draft = draft_with_scenes(
        tenant_a, subscriber_a, scenes=1, seconds=1.0, orientation="landscape", music="calm_pad"
    )
    with django_capture_on_commit_callbacks(execute=True):
        render = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
    render.refresh_from_db()
    info, frames = probe(media_path(render.video))
    assert (info["width"], info["height"]) == (854, 480)
    assert info["duration"] == pytest.approx(1.0, abs=0.1)
    assert frames[0].shape == (480, 854, 3)


@pytest.mark.django_db
def test_approval_adds_the_other_device_renditions_with_the_same_content_id(
    tenant_a, subscriber_a, reviewer_a, short_limits, eager, tiny,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from video_ringtone import selectors
    from video_ringtone.models import SimulatedProvision
    from video_ringtone.services import publishing, review

    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=1, seconds=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        render = rendering.render_start(draft=draft, user=subscriber_a, profile="standard")
    render.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ringtone = review.ringtone_submit(draft=draft, render=render, user=subscriber_a)
    ringtone.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        review.review_decide(ringtone=ringtone, reviewer=reviewer_a, approve=True)
    job = Job.objects.get(kind="video_ringtone.renditions")
    assert job.status == JobStatus.SUCCEEDED, job.error
    found = selectors.renditions(ringtone)
    assert {p: (r.width, r.height) for p, r in found.items()} == {
        "low": frame_size("portrait", 96),
        "standard": frame_size("portrait", 112),
        "high": frame_size("portrait", 128),
    }
    assert found["standard"] == render  # the approved render is one of them
    for rendition in found.values():
        info, _frames = probe(media_path(rendition.video))
        assert (info["width"], info["height"]) == (rendition.width, rendition.height)
        assert read_media_metadata(media_path(rendition.video))["ProduceID"] == render.content_id
    # The editor still shows the user's own render, not the renditions.
    assert selectors.draft_latest_render(draft) == render
    with django_capture_on_commit_callbacks(execute=True):
        assignment = publishing.assignment_create(
            ringtone=ringtone, phone=subscriber_a.phone, user=subscriber_a
        )
    sent = SimulatedProvision.objects.get(request_id=str(assignment.pk)).renditions
    assert sent == {p: r.video for p, r in found.items()}
    # Every job of the owner's ringtone is theirs (the renditions too, though a reviewer's
    # approval started it): their /ws/jobs/ follows them, other subscribers' never do.
    kinds = dict(Job.objects.for_tenant(tenant_a).values_list("kind", "created_by"))
    assert set(kinds) >= {"video_ringtone.render", "video_ringtone.checks",
                          "video_ringtone.renditions", "video_ringtone.provision"}  # fmt: skip
    assert set(kinds.values()) == {subscriber_a.pk}


FLAT = (235, 205, 140)  # a light flat colour: every badge is a dark blob on it


def _dark_blobs(frame: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (left, top, right, bottom) of the dark regions of a frame of FLAT."""
    import cv2

    dark = (frame.astype(int).sum(axis=2) < sum(FLAT) - 120).astype(np.uint8)
    # The badge's white text splits its dark box; closing makes each badge one blob.
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    count, _labels, stats, _centroids = cv2.connectedComponentsWithStats(dark)
    return [
        (x, y, x + w, y + h)
        for x, y, w, h, area in stats[1:count]
        if area >= 12  # compression speckle is not a badge
    ]


@pytest.mark.django_db
def test_a_rendered_frame_shows_the_ai_badge_once_the_fixed_one(
    tenant_a, subscriber_a, short_limits, eager, monkeypatch, django_capture_on_commit_callbacks
):
    """Candidate images carry the gateway's badge for the user; the video is rendered from
    their unbadged source, so the only badge in a frame is the renderer's fixed overlay."""
    from suite.ai.backends.image_opencv import OpenCVStylizeBackend
    from suite.ai.types import ImageResult
    from video_ringtone.catalog import PROFILES
    from video_ringtone.models import Candidate, CandidateSource
    from video_ringtone.services import drafts

    def flat(self, prompt, *, width=512, height=512, n=1, **kwargs):
        return ImageResult(images=[Image.new("RGB", (width, height), FLAT) for _ in range(n)])

    monkeypatch.setattr(OpenCVStylizeBackend, "generate", flat)
    monkeypatch.setitem(PROFILES, "low", 240)
    draft = drafts.draft_create(tenant=tenant_a, owner=subscriber_a, theme="birthday")
    drafts.draft_update(draft=draft, caption="")
    with django_capture_on_commit_callbacks(execute=True):
        drafts.candidates_request(draft=draft, user=subscriber_a, source="text", count=1)
    candidate = Candidate.objects.for_tenant(tenant_a).get(draft=draft)
    assert candidate.source == CandidateSource.TEXT
    # What the user is shown is badged...
    with Image.open(media_path(candidate.file)) as shown:
        assert len(_dark_blobs(np.asarray(shown.convert("RGB")))) == 1
    drafts.scene_add(draft=draft, candidate=candidate, caption="", duration_s=1.6)
    with django_capture_on_commit_callbacks(execute=True):
        render = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
    render.refresh_from_db()
    assert render.status == RenderStatus.DONE
    _info, frames = probe(media_path(render.video))
    width, height = frame_size("portrait", 240)
    badge = render_badge(badge_height_for(width, height))
    left, top, right, bottom = badge_box((width, height), badge.size, VIDEO_BADGE_POSITION)
    # ...the video's frames (start, mid Ken Burns, end) carry exactly one: the fixed overlay.
    for frame in (frames[2], frames[len(frames) // 2], frames[-3]):
        blobs = _dark_blobs(frame)
        assert len(blobs) == 1, blobs
        x0, y0, x1, y1 = blobs[0]
        assert x0 >= left - 2 and y0 >= top - 2 and x1 <= right + 2 and y1 <= bottom + 2
    # 一键设置同款 keeps both: the copy shows the badged image and renders from the source.
    from video_ringtone.services import review

    with django_capture_on_commit_callbacks(execute=True):
        ringtone = review.ringtone_submit(draft=draft, render=render, user=subscriber_a)
    copied = drafts.draft_copy_from_ringtone(ringtone=ringtone, owner=subscriber_a)
    twin = copied.candidates.get()
    with (
        Image.open(media_path(twin.file)) as shown,
        Image.open(media_path(twin.source_file)) as src,
    ):
        assert len(_dark_blobs(np.asarray(shown.convert("RGB")))) == 1
        assert _dark_blobs(np.asarray(src.convert("RGB"))) == []
    # The plain-colour scene is still by design: the frozen check does not reject it.
    ringtone.refresh_from_db()
    frozen = {c["key"]: c for c in ringtone.checks}["frozen"]
    assert frozen["status"] == checks.PASS, frozen
    assert rendering.draft_spec(copied)["scenes"][0]["image"] == twin.source_file


def test_a_plain_colour_scene_is_not_frozen_but_a_still_textured_picture_is(tmp_path):
    plain = Image.new("RGB", (360, 640), (235, 205, 140))
    textured = picture(4, size=(360, 640))
    assert checks.picture_texture(plain) < checks.TEXTURE_GRADIENT
    assert checks.picture_texture(textured) >= checks.TEXTURE_GRADIENT

    # A plain-colour card with a caption, then a photo: the renderer pans only the photo.
    out = tmp_path / "card.mp4"
    render_video(
        [SceneInput(plain, "新年快乐", 5.0, "fade"), SceneInput(textured, "", 2.0)],
        width=96, height=170, out=out, provider="t", content_id="c",
    )  # fmt: skip
    frames = checks.probe_frames(out, 96, 170)
    scenes = [(5.0, False), (2.0, True)]
    # Judged as if everything should move, the plain card looks frozen (the old false alarm).
    assert checks.check_frozen(frames).status != checks.PASS
    result = checks.check_frozen(frames, checks.expected_motion(scenes, len(frames) - 1))
    assert result.status == checks.PASS, result.detail

    # A truly frozen video: the photo shown as one still for 4 s, nothing pans or zooms.
    still = tmp_path / "still.png"
    textured.resize((96, 170)).save(still)
    frozen = tmp_path / "frozen.mp4"
    checks._ffmpeg(["-loop", "1", "-i", str(still), "-t", "4", "-r", "25", "-pix_fmt", "yuv420p",
                    "-c:v", "libx264", "-y", str(frozen)])  # fmt: skip
    frames = checks.probe_frames(frozen, 96, 170)
    moving = checks.expected_motion([(4.0, True)], len(frames) - 1)
    assert moving.all()
    assert checks.check_frozen(frames, moving).status == checks.FAIL
