"""Issue 16 on the ringtone pages: image and render jobs report real progress (per image, per
stage and frame), the draft page shows each job's bar, its place in line and a failure with a
retry; 一键设置同款 sets the gallery ringtone on the subscriber's own number; the video's AIGC
label is outside the browser controls; the gallery words are the right ones in zh-hans."""

import json
import re

import pytest
from django.core.exceptions import ValidationError

from suite.ai import pipeline
from suite.ai.capabilities import Capability
from suite.ai.models import AiModel
from suite.jobs.models import Job, JobStatus
from suite.tenancy.models import Role
from tests.ai.tiny_sd import build_tiny_sd
from tests.factories import member
from video_ringtone.models import (
    Assignment,
    AssignmentState,
    Candidate,
    RingtoneStatus,
    SimulatedProvision,
)
from video_ringtone.services import drafts, publishing, rendering, review

from .conftest import draft_with_scenes


def _recording(monkeypatch, module):
    """Every progress value and message the service reports, in order."""
    seen = []
    original = module.job_set_progress

    def record(*, job, progress, message=""):
        seen.append((progress, message))
        return original(job=job, progress=progress, message=message)

    monkeypatch.setattr(module, "job_set_progress", record)
    return seen


def _rises_to_the_end(values):
    assert values == sorted(values), values
    assert values[0] < 10 and values[-1] >= 95, values


@pytest.mark.django_db
@pytest.mark.parametrize("source", ["text", "photo"])
def test_image_generation_reports_progress_image_by_image(
    source, client, tenant_a, subscriber_a, eager, django_capture_on_commit_callbacks, monkeypatch
):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, prompt="生日蛋糕和气球")
    seen = _recording(monkeypatch, drafts)
    with django_capture_on_commit_callbacks(execute=True):
        job = drafts.candidates_request(draft=draft, user=subscriber_a, source=source, count=3)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    made = Candidate.objects.for_tenant(tenant_a).filter(draft=draft, source=source)
    images = 3 if source == "text" else 2  # one portrait per uploaded photo
    assert made.count() == images
    values = [value for value, _message in seen]
    _rises_to_the_end(values)
    # One step as each image starts and one as it is done: the bar moves between images.
    assert len(set(values)) == images + 1
    assert sum(1 for v in values if 10 < v < 95) >= images - 1
    assert seen[-1][1] == f"{images} of {images} images ready"
    # Each fallback picture says what made it, in the subscriber's words ("回退" is jargon).
    client.force_login(subscriber_a)  # the page in zh-hans, as subscribers get it
    page = client.get(f"/video-ringtone/m/drafts/{draft.pk}/").content.decode()
    tags = re.findall(r'<span class="vr-tag vr-tag-fallback">([^<]*)</span>', page)
    assert tags == [{"text": "内置模板", "photo": "照片滤镜"}[source]] * images
    assert "回退" not in page


@pytest.fixture(scope="module")
def tiny_sd_dir(tmp_path_factory):
    return build_tiny_sd(tmp_path_factory.mktemp("models") / "tiny-sd")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "capability"),
    [("text", Capability.GENERATE_IMAGE), ("photo", Capability.EDIT_IMAGE)],
)
def test_a_diffusion_image_reports_its_steps_while_it_is_made(
    source, capability, tiny_sd_dir, tenant_a, subscriber_a, eager,
    django_capture_on_commit_callbacks, monkeypatch,
):  # fmt: skip
    # The real diffusers engine on a random-weight model: slow engines are the ones whose bar
    # must move within an image, not only between images.
    AiModel.objects.create(
        tenant=tenant_a, name="tiny-sd", capability=capability, engine="diffusers",
        path=str(tiny_sd_dir), options={"steps": 8, "max_side": 128}, is_default=True,
    )  # fmt: skip
    monkeypatch.setattr(drafts, "CANDIDATE_SHORT_SIDE", 64)  # the tiny model's speed at 64 px
    monkeypatch.setattr(pipeline, "WAITING_TICK_S", 0.02)
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=1, prompt="生日蛋糕和气球")
    seen = _recording(monkeypatch, drafts)
    with django_capture_on_commit_callbacks(execute=True):
        job = drafts.candidates_request(draft=draft, user=subscriber_a, source=source, count=1)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    made = Candidate.objects.for_tenant(tenant_a).filter(draft=draft, engine="diffusers")
    assert made.count() == 1
    values = [value for value, _message in seen]
    _rises_to_the_end(values)
    steps = [m for _v, m in seen if re.search(r"step \d+ of \d+$", m)]
    assert steps, seen
    # Between the image's start (5%) and its end (95%) the bar shows the steps it heard.
    assert any(5 < value < 95 for value, message in seen if message in steps)
    last = re.search(r"step (\d+) of (\d+)$", steps[-1])
    assert int(last.group(1)) <= int(last.group(2))


@pytest.mark.django_db
def test_render_reports_its_stages_and_frames(
    tenant_a, subscriber_a, short_limits, eager, tiny, django_capture_on_commit_callbacks,
    monkeypatch,
):  # fmt: skip
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=2.0, voice_text="你好")
    seen = _recording(monkeypatch, rendering)
    with django_capture_on_commit_callbacks(execute=True):
        render = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
    render.refresh_from_db()
    job = Job.objects.get(pk=render.job_id)
    assert job.status == JobStatus.SUCCEEDED and job.progress == 100, job.error
    values = [value for value, _message in seen]
    _rises_to_the_end(values)
    messages = [message for _value, message in seen]
    assert messages[0] == "Preparing scene 1 of 2"
    assert "Recording the spoken greeting" in messages
    frames = [m for m in messages if m.startswith("Frame ")]
    assert len(frames) >= 2 and frames[-1] == "Frame 100 of 100"  # 4 s at 25 fps
    assert len({v for v in values if 10 < v < 95}) >= 2  # the bar moves while frames are made
    assert messages[-1] == "Making the poster"


@pytest.mark.django_db
def test_draft_page_shows_each_jobs_bar_its_place_in_line_and_a_retry_on_failure(
    client, tenant_a, subscriber_a, short_limits, tiny, django_capture_on_commit_callbacks
):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=1, prompt="海边日落")
    client.force_login(subscriber_a)
    client.cookies["django_language"] = "en"
    base = f"/video-ringtone/m/drafts/{draft.pk}"
    # Nothing runs the jobs: they wait in their queues.
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(f"{base}/candidates/", {"source": "text"}).status_code == 302
        assert client.post(f"{base}/render/", {"profile": "low"}).status_code == 302
    page = client.get(f"{base}/").content.decode()
    images_box = re.search(r'<div class="vr-job" id="images-pending".*?</div>', page, re.S)
    assert images_box and 'id="vr-images-progress"' in images_box.group(0)
    assert "Queued (position 1)" in images_box.group(0)
    assert 'id="vr-progress"' in page and 'id="vr-progress-text"' in page
    status = client.get(f"{base}/status/").json()
    assert status["images_pending"] is True
    assert status["images"]["queue_position"] == 1 and status["images"]["busy"] is True
    assert status["render"]["status"] == "queued" and status["render"]["queue_position"] == 1
    assert status["render"]["job_id"]

    images_job = Job.objects.get(pk=status["images"]["id"])
    Job.objects.filter(pk=images_job.pk).update(status=JobStatus.RUNNING, progress=35)
    status = client.get(f"{base}/status/").json()
    assert status["images"]["progress"] == 35 and status["images"]["queue_position"] is None

    # Failures: a clear message and a button that asks again for the same thing.
    Job.objects.filter(pk=images_job.pk).update(status=JobStatus.FAILED, error="boom")
    rendering_failed = draft.renders.get()
    rendering_failed.status = "failed"
    rendering_failed.error = "RuntimeError: ffmpeg failed"
    rendering_failed.save()
    Job.objects.filter(pk=rendering_failed.job_id).update(status=JobStatus.FAILED)
    page = client.get(f"{base}/").content.decode()
    assert 'id="images-pending"' not in page and 'id="vr-progress"' not in page
    assert re.search(r'id="images-retry"', page) and 'name="source" value="text"' in page
    retry = re.search(r'<form[^>]*id="render-failed".*?</form>', page, re.S).group(0)
    assert 'name="profile" value="low"' in retry and 'id="render-retry"' in retry
    assert "ffmpeg" not in page and "boom" not in page  # no raw error text on the page
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(f"{base}/render/", {"profile": "low"}).status_code == 302
    assert 'id="vr-progress"' in client.get(f"{base}/").content.decode()


@pytest.fixture
def shared(tenant_a, subscriber_a, reviewer_a, short_limits, eager, tiny,
           django_capture_on_commit_callbacks):  # fmt: skip
    """An approved ringtone its owner shared in the gallery."""
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.5)
    with django_capture_on_commit_callbacks(execute=True):
        render = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
    render.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ringtone = review.ringtone_submit(
            draft=draft, render=render, user=subscriber_a, in_gallery=True
        )
    ringtone.refresh_from_db()
    return review.review_decide(ringtone=ringtone, reviewer=reviewer_a, approve=True)


@pytest.mark.django_db
def test_use_the_same_one_sets_the_gallery_ringtone_on_my_number(
    shared, tenant_a, subscriber_a, django_capture_on_commit_callbacks
):
    fan = member(tenant_a, Role.SUBSCRIBER, username="fan", phone="13600136000")
    # The fan had the owner's other pick for all callers: it is replaced, like "set as mine".
    with django_capture_on_commit_callbacks(execute=True):
        assignment, created = publishing.gallery_ringtone_set(ringtone=shared, user=fan)
    assert created
    assignment.refresh_from_db()
    assert (assignment.phone, assignment.caller_group) == ("13600136000", "all")
    assert assignment.state == AssignmentState.ACTIVE  # provisioned through the platform job
    assert SimulatedProvision.objects.get(request_id=str(assignment.pk)).phone == "13600136000"
    # A second tap keeps it: no second provisioning.
    with django_capture_on_commit_callbacks(execute=True):
        again, created = publishing.gallery_ringtone_set(ringtone=shared, user=fan)
    assert (again, created) == (assignment, False)
    assert Assignment.objects.for_tenant(tenant_a).count() == 1

    # The same checks as setting one's own: only approved ringtones shared in the gallery,
    # only on the user's own number.
    no_phone = member(tenant_a, Role.SUBSCRIBER, username="nophone", phone="")
    with pytest.raises(ValidationError):
        publishing.gallery_ringtone_set(ringtone=shared, user=no_phone)
    shared.in_gallery = False
    with pytest.raises(ValidationError):
        publishing.gallery_ringtone_set(ringtone=shared, user=fan)
    shared.in_gallery, shared.status = True, RingtoneStatus.REJECTED
    with pytest.raises(ValidationError):
        publishing.gallery_ringtone_set(ringtone=shared, user=fan)
    assert Assignment.objects.for_tenant(tenant_a).count() == 1


@pytest.mark.django_db
def test_use_the_same_one_in_one_tap_from_the_gallery_page(
    client, shared, tenant_a, subscriber_b, django_capture_on_commit_callbacks
):
    fan = member(tenant_a, Role.SUBSCRIBER, username="fan", phone="13600136000")
    client.force_login(fan)
    client.cookies["django_language"] = "en"
    html = client.get(f"/video-ringtone/m/gallery/{shared.pk}/").content.decode()
    button = re.search(r'<form method="post" action="([^"]+)">.*?id="use-same"', html, re.S)
    assert button and button.group(1) == f"/video-ringtone/m/gallery/{shared.pk}/set/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(button.group(1))
    assert response.status_code == 302
    assert response["Location"] == "/video-ringtone/m/#my-number"
    assignment = Assignment.objects.for_tenant(tenant_a).get(created_by=fan)
    assert (assignment.ringtone, assignment.phone) == (shared, "13600136000")
    assert assignment.state == AssignmentState.ACTIVE
    home = client.get(response["Location"]).content.decode()
    assert f"“{shared.title}” is being set as your video ringtone on 136****6000" in home
    assert re.search(r'id="my-number".*?' + re.escape(shared.title), home, re.S)
    # No draft was made: the old "copy" is its own button now.
    assert not fan_drafts(tenant_a, fan)

    # A user without a number gets the reason on the page, with a 400.
    client.force_login(member(tenant_a, Role.SUBSCRIBER, username="nophone", phone=""))
    refused = client.post(f"/video-ringtone/m/gallery/{shared.pk}/set/")
    assert refused.status_code == 400
    assert "no mobile number" in refused.content.decode()
    # Another tenant's subscriber: 404, like a missing ringtone.
    client.force_login(subscriber_b)
    assert client.post(f"/video-ringtone/m/gallery/{shared.pk}/set/").status_code == 404


def fan_drafts(tenant, user):
    from video_ringtone.models import Draft

    return list(Draft.objects.for_tenant(tenant).filter(owner=user))


@pytest.mark.django_db
def test_gallery_and_ringtone_pages_in_zh_hans(client, shared, tenant_a, subscriber_a):
    fan = member(tenant_a, Role.SUBSCRIBER, username="fan", phone="13600136000")
    client.force_login(fan)  # the portal is in zh-hans unless one picks English
    gallery = client.get(f"/video-ringtone/m/gallery/{shared.pk}/").content.decode()
    # The AIGC label is in the video's pixels; the page says it once more, to screen readers.
    player = re.search(r'<figure class="vr-player">(.*?)</figure>', gallery, re.S).group(1)
    assert re.search(r"<video[^>]*controls", player)
    assert re.search(r'<span class="sr-only" data-aigc-badge>AI生成</span>', player)
    assert "一键设置同款" in gallery and "做同款" in gallery
    label = re.search(r'<label for="id_text">([^<]*)</label>', gallery).group(1)
    assert label == "你的评论"
    assert "备注" not in gallery

    client.force_login(subscriber_a)
    mine = client.get(f"/video-ringtone/m/ringtones/{shared.pk}/").content.decode()
    draft_page = client.get(f"/video-ringtone/m/drafts/{shared.render.draft_id}/").content.decode()
    assert "data-aigc-badge>AI生成</span>" in mine and "data-aigc-badge>AI生成</span>" in draft_page
    heading = re.search(r'<section class="card m-card" id="candidates">\s*<h2>([^<]*)</h2>',
                        draft_page).group(1)  # fmt: skip
    assert heading == "图片素材"  # generated images and uploaded photos
    assert "图片数" not in draft_page


@pytest.mark.django_db
def test_use_the_same_one_over_rest(shared, tenant_a, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    fan = member(tenant_a, Role.SUBSCRIBER, username="fan", phone="13600136000")
    api = APIClient()
    api.force_login(fan)
    url = f"/api/v1/video-ringtone/gallery/{shared.pk}/set/"
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(url)
    assert first.status_code == 201, first.content
    assert (first.json()["phone"], first.json()["caller_group"]) == ("13600136000", "all")
    again = api.post(url)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Assignment.objects.for_tenant(tenant_a).count() == 1

    # A ringtone taken out of the gallery: a 4xx that says why, nothing set.
    shared.in_gallery = False
    shared.save(update_fields=["in_gallery"])
    refused = api.post(url)
    assert refused.status_code in (400, 404)
    assert Assignment.objects.for_tenant(tenant_a).count() == 1

    # Without a number to set it on: 400 with the reason.
    shared.in_gallery = True
    shared.save(update_fields=["in_gallery"])
    api.force_login(member(tenant_a, Role.SUBSCRIBER, username="nophone", phone=""))
    no_phone = api.post(url)
    assert no_phone.status_code == 400
    assert "mobile number" in json.dumps(no_phone.json()) or "手机号" in no_phone.content.decode()
