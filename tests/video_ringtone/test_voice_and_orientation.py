"""The TTS voice-over greeting through the gateway, and the upside-down check through the
vision capability (BlazeFace) on a real portrait."""

import matplotlib.cbook
import pytest
from PIL import Image

from suite.ai import gateway
from suite.ai.models import UsageRecord
from video_ringtone import checks
from video_ringtone.catalog import frame_size
from video_ringtone.services import rendering

from .conftest import draft_with_scenes

PORTRAIT = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


@pytest.mark.django_db
def test_voice_greeting_is_spoken_over_ducked_music_and_named_in_the_metadata(
    tenant_a, subscriber_a, short_limits, eager, tiny, django_capture_on_commit_callbacks
):
    # The suite's default voices: the greeting is Mandarin, so a native Kokoro voice speaks it.
    draft = draft_with_scenes(
        tenant_a, subscriber_a, scenes=2, seconds=2.0, music="", voice_text="您好，欢迎来电"
    )
    with django_capture_on_commit_callbacks(execute=True):
        render = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
    render.refresh_from_db()
    assert render.status == "done", render.error
    assert "kokoro" in render.provider
    samples = checks.probe_audio(rendering.media_path(render.video))
    # No music was chosen: the only sound is the greeting, starting after 0.5 s.
    rate = checks.AUDIO_RATE
    assert checks.dbfs(samples[: rate // 3]) < -60
    assert checks.dbfs(samples[rate : 2 * rate]) > -40
    assert UsageRecord.objects.filter(tenant=tenant_a, capability="synthesize").count() == 1


@pytest.mark.django_db
def test_upside_down_portraits_are_flagged_and_upright_ones_pass(tenant_a):
    caller = gateway.Caller(tenant=tenant_a)
    with Image.open(PORTRAIT) as img:
        upright = img.convert("RGB")
    assert checks.check_orientation(caller, [upright]).status == checks.PASS
    result = checks.check_orientation(caller, [upright, upright.rotate(180)])
    assert result.status == checks.WARN
    assert "2" in result.detail and "1" not in result.detail.split("look")[0]


def test_profiles_give_even_9_16_and_16_9_frames():
    assert frame_size("portrait", 720) == (720, 1280)
    assert frame_size("landscape", 1080) == (1920, 1080)
    assert frame_size("portrait", 480) == (480, 854)


def test_an_upside_down_scene_is_found_in_the_rendered_frames(tmp_path, db, tenant_a):
    from video_ringtone.render import SceneInput, render_video

    with Image.open(PORTRAIT) as img:
        upright = img.convert("RGB")
    out = tmp_path / "x.mp4"
    render_video(
        [SceneInput(upright, "", 2.0, "cut"), SceneInput(upright.rotate(180), "", 2.0, "cut")],
        width=360, height=640, out=out, provider="t", content_id="c",
    )  # fmt: skip
    frames = checks.frames_at(out, [1.0, 3.0])
    assert [f.size for f in frames] == [(320, 568), (320, 568)]
    result = checks.check_orientation(gateway.Caller(tenant=tenant_a), frames)
    assert result.status == checks.WARN
    assert "2" in result.detail and "1" not in result.detail  # only the turned-over scene
