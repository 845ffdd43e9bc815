"""The creation flow through the mobile pages and the API, and bad input at every door:
a clear 4xx naming the problem, and the draft exactly as it was."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from suite.ai.labelling import read_media_metadata
from suite.tenancy.models import Role, TenantKind
from suite.tenancy.services import tenant_create
from tests.ai.test_image_input import _bomb_png
from tests.factories import member
from video_ringtone.models import (
    Assignment,
    AssignmentState,
    Candidate,
    Draft,
    Photo,
    Ringtone,
    RingtoneStatus,
)
from video_ringtone.services.common import media_path

from .conftest import draft_with_scenes, jpeg_bytes, picture


def _upload(data: bytes, name="p.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type)


def _state(draft):
    draft.refresh_from_db()
    return (
        draft.prompt, draft.caption, draft.style,
        Photo.objects.filter(draft=draft).count(), Candidate.objects.filter(draft=draft).count(),
        list(draft.scenes.values_list("caption", "duration_s", "position")),
    )  # fmt: skip


@pytest.mark.django_db
def test_subscriber_goes_from_a_theme_to_a_ringtone_on_their_number(
    client, tenant_a, subscriber_a, reviewer_a, short_limits, eager, tiny,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(subscriber_a)
    home = client.get("/m/")
    assert "/video-ringtone/m/" in home.content.decode()  # the subscriber_entries hook
    response = client.post("/video-ringtone/m/drafts/new/", {"theme": "birthday"})
    draft = Draft.objects.for_tenant(tenant_a).get(owner=subscriber_a)
    assert response["Location"] == f"/video-ringtone/m/drafts/{draft.pk}/"
    assert draft.caption == "生日快乐，天天开心！" and draft.music == "festive_bells"
    base = f"/video-ringtone/m/drafts/{draft.pk}"
    assert (
        client.post(f"{base}/photos/", {"photo": _upload(jpeg_bytes(picture(1)))}).status_code
        == 302
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{base}/candidates/", {"source": "text"}).status_code == 302
        assert client.post(f"{base}/candidates/", {"source": "photo"}).status_code == 302
    page = client.get(f"{base}/").content.decode()
    assert 'id="fallback-note"' in page  # the OpenCV fallback is labelled as such
    for candidate in Candidate.objects.filter(draft=draft)[:3]:
        client.post(f"{base}/scenes/", {"candidate": candidate.pk, "duration_s": "1"})
    scenes = list(draft.scenes.all())
    assert len(scenes) == 3
    response = client.post(
        f"{base}/scenes/{scenes[2].pk}/",
        {"action": "save", "caption": "祝你快乐", "duration_s": "1.5", "transition": "slide_up"},
    )
    assert response.status_code == 302
    client.post(f"{base}/scenes/{scenes[2].pk}/", {"action": "up"})
    assert [s.pk for s in draft.scenes.all()] == [scenes[0].pk, scenes[2].pk, scenes[1].pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{base}/render/", {"profile": "low"}).status_code == 302
    status = client.get(f"{base}/status/").json()
    assert status["render"]["status"] == "done" and status["render"]["progress"] == 100
    page = client.get(f"{base}/").content.decode()
    assert 'id="vr-preview"' in page
    render_id = status["render"]["id"]
    video = client.get(f"/video-ringtone/files/renders/{render_id}/video/")
    assert video["Content-Type"] == "video/mp4"
    assert read_media_metadata(b"".join(video.streaming_content))["Label"] == "AI生成"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{base}/submit/", {"render": render_id, "in_gallery": "on"})
    ringtone = Ringtone.objects.for_tenant(tenant_a).get()
    assert response["Location"] == f"/video-ringtone/m/ringtones/{ringtone.pk}/"
    assert ringtone.status == RingtoneStatus.IN_REVIEW

    client.force_login(reviewer_a)
    queue = client.get("/video-ringtone/review/").content.decode()
    assert ringtone.title in queue and "138****8000" in queue  # masked submitter
    assert (
        client.post(f"/video-ringtone/review/{ringtone.pk}/", {"decision": "reject"}).status_code
        == 400
    )
    assert (
        client.post(f"/video-ringtone/review/{ringtone.pk}/", {"decision": "approve"}).status_code
        == 302
    )
    ringtone.refresh_from_db()
    assert ringtone.status == RingtoneStatus.APPROVED

    client.force_login(subscriber_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/video-ringtone/m/ringtones/{ringtone.pk}/set/",
            {"caller_group": "contacts", "start_time": "08:00", "end_time": "20:00"},
        )
    assert response.status_code == 302
    assignment = Assignment.objects.for_tenant(tenant_a).get()
    assert (assignment.phone, assignment.state) == ("13800138000", AssignmentState.ACTIVE)
    gallery = client.get("/video-ringtone/m/gallery/").content.decode()
    assert ringtone.title in gallery


@pytest.mark.django_db
def test_bad_uploads_are_400s_and_the_draft_is_untouched(client, tenant_a, subscriber_a):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=1)
    client.force_login(subscriber_a)
    client.cookies["django_language"] = "en"
    url = f"/video-ringtone/m/drafts/{draft.pk}/photos/"
    before = _state(draft)
    files_before = sorted(p.name for p in media_path("video_ringtone").rglob("*"))
    cases = [
        (_upload(b"%PDF-1.4 not an image", "a.pdf", "application/pdf"), "not a supported image"),
        (_upload(_bomb_png(50000, 50000), "bomb.png", "image/png"), "50000x50000"),
        (_upload(jpeg_bytes(picture(1))[:300]), "damaged"),
    ]
    for upload, message in cases:
        response = client.post(url, {"photo": upload})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert _state(draft) == before
        # the page answered is the draft's: portal.js shows its address, not the upload's
        page_url = f'<meta name="page-url" content="/video-ringtone/m/drafts/{draft.pk}/">'
        assert page_url in response.content.decode()
    assert sorted(p.name for p in media_path("video_ringtone").rglob("*")) == files_before


@pytest.mark.django_db
def test_more_than_six_photos_and_over_long_captions_are_refused(client, tenant_a, subscriber_a):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=6)
    client.force_login(subscriber_a)
    base = f"/video-ringtone/m/drafts/{draft.pk}"
    response = client.post(f"{base}/photos/", {"photo": _upload(jpeg_bytes(picture(7)))})
    assert response.status_code == 400
    assert Photo.objects.filter(draft=draft).count() == 6
    before = _state(draft)
    scene = draft.scenes.first()
    response = client.post(
        f"{base}/scenes/{scene.pk}/",
        {"action": "save", "caption": "长" * 41, "duration_s": "2", "transition": "fade"},
    )
    assert response.status_code == 400
    response = client.post(
        f"{base}/",
        {"title": "t", "prompt": "赌博网站", "music_volume": 50, "orientation": "portrait"},
    )
    assert response.status_code == 400
    assert _state(draft) == before


@pytest.mark.django_db
def test_api_flow_and_its_errors(tenant_a, subscriber_a, short_limits, eager, tiny,
                                 django_capture_on_commit_callbacks):  # fmt: skip
    api = APIClient()
    api.force_login(subscriber_a)
    root = "/api/v1/video-ringtone"
    draft = api.post(f"{root}/drafts/", {"theme": "travel"}, format="json").json()
    bad = api.post(f"{root}/drafts/", {"theme": "nope"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["theme"]
    response = api.post(
        f"{root}/drafts/{draft['id']}/photos/", {"photo": _upload(_bomb_png(40000, 40000), "b.png")}
    )
    assert response.status_code == 400 and "40000x40000" in response.json()["error"]["message"]
    photo = api.post(
        f"{root}/drafts/{draft['id']}/photos/", {"photo": _upload(jpeg_bytes(picture(2)))}
    )
    assert photo.status_code == 201
    response = api.patch(f"{root}/drafts/{draft['id']}/", {"caption": "赌博网站"}, format="json")
    assert response.status_code == 400 and "caption" in response.json()["error"]["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        job = api.post(
            f"{root}/drafts/{draft['id']}/candidates/", {"source": "photo"}, format="json"
        )
    assert job.status_code == 202
    detail = api.get(f"{root}/drafts/{draft['id']}/").json()
    portraits = [c for c in detail["candidates"] if c["source"] == "photo"]
    assert (
        portraits
        and portraits[0]["fallback"] is True
        and portraits[0]["engine"] == "opencv-stylize"
    )
    for candidate in detail["candidates"]:
        scene = api.post(
            f"{root}/drafts/{draft['id']}/scenes/",
            {"candidate": candidate["id"], "duration_s": "1.5"}, format="json",
        )  # fmt: skip
        assert scene.status_code == 201
    too_long = api.patch(
        f"{root}/scenes/{scene.json()['id']}/", {"duration_s": "30"}, format="json"
    )
    assert too_long.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        render = api.post(f"{root}/drafts/{draft['id']}/render/", {"profile": "low"}, format="json")
    assert render.status_code == 202
    done = api.get(f"{root}/renders/{render.json()['id']}/").json()
    assert done["status"] == "done" and done["progress"] == 100 and done["content_id"]
    ringtone = api.post(
        f"{root}/drafts/{draft['id']}/submit/", {"render": done["id"]}, format="json"
    )
    assert ringtone.status_code == 201 and ringtone.json()["status"] == "checking"
    # Not approved yet: cannot be set.
    assert (
        api.post(f"{root}/ringtones/{ringtone.json()['id']}/assign/", {}, format="json").status_code
        == 400
    )
    # A subscriber is not a reviewer.
    assert api.get(f"{root}/reviews/").status_code == 403


@pytest.mark.django_db
def test_enterprise_portal_page_adds_employees_and_assigns(client, tenant_a):
    company = tenant_create(
        slug="ent", name="云帆科技", kind=TenantKind.ENTERPRISE, parent=tenant_a
    )
    boss = member(company, Role.TENANT_ADMIN, username="boss")
    client.force_login(boss)
    assert (
        client.post(
            "/video-ringtone/enterprise/", {"name": "张伟", "phone": "13500000001"}
        ).status_code
        == 302
    )
    response = client.post("/video-ringtone/enterprise/", {"name": "李娜", "phone": "12345"})
    assert response.status_code == 400
    page = client.get("/video-ringtone/enterprise/").content.decode()
    assert "张伟" in page and "135****0001" in page and "13500000001" not in page
    response = client.post("/video-ringtone/m/drafts/new/", {"theme": "business"})
    assert Draft.objects.for_tenant(company).get().kind == "enterprise"
    assert response.status_code == 302


@pytest.mark.django_db
def test_tenant_admin_sets_duration_limits_and_sla(client, tenant_a, admin_a, reviewer_a):
    from video_ringtone.selectors import limits_for

    client.force_login(admin_a)
    data = {"form": "limits", "min_duration_s": 3, "max_duration_s": 30, "review_sla_hours": 12}
    assert client.post("/video-ringtone/", data).status_code == 302
    assert limits_for(tenant_a).max_duration_s == 30
    bad = {**data, "min_duration_s": 30, "max_duration_s": 5}
    assert client.post("/video-ringtone/", bad).status_code == 400
    assert limits_for(tenant_a).min_duration_s == 3
    client.force_login(reviewer_a)
    assert client.get("/video-ringtone/").status_code == 200
    assert client.post("/video-ringtone/", data).status_code == 404


@pytest.mark.django_db
def test_drafts_delete_unless_submitted_and_reviewers_see_only_submitted_videos(
    client, tenant_a, subscriber_a, reviewer_a, short_limits, eager, tiny,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from video_ringtone.services import rendering, review

    api = APIClient()
    api.force_login(subscriber_a)
    spare = draft_with_scenes(tenant_a, subscriber_a, scenes=1)
    folder = media_path(f"video_ringtone/{tenant_a.pk}/drafts/{spare.pk}")
    assert folder.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/video-ringtone/drafts/{spare.pk}/").status_code == 204
    assert not Draft.objects.filter(pk=spare.pk).exists() and not folder.exists()

    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        private = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
        submitted = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
    submitted.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ringtone = review.ringtone_submit(draft=draft, render=submitted, user=subscriber_a)
    response = api.delete(f"/api/v1/video-ringtone/drafts/{draft.pk}/")
    assert response.status_code == 400 and response.json()["error"]["fields"]["draft"]
    assert Draft.objects.filter(pk=draft.pk).exists()

    client.force_login(reviewer_a)
    assert client.get(f"/video-ringtone/files/renders/{submitted.pk}/video/").status_code == 200
    assert client.get(f"/video-ringtone/files/renders/{private.pk}/video/").status_code == 404
    assert ringtone.render_id == submitted.pk


@pytest.mark.django_db
def test_scene_image_is_replaced_from_the_draft_candidates_only(client, tenant_a, subscriber_a):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2)
    other = draft_with_scenes(tenant_a, subscriber_a, scenes=1)
    first, second = draft.scenes.all()
    client.force_login(subscriber_a)
    url = f"/video-ringtone/m/drafts/{draft.pk}/scenes/{first.pk}/"
    assert (
        'name="candidate"' in client.get(f"/video-ringtone/m/drafts/{draft.pk}/").content.decode()
    )
    response = client.post(url, {"action": "replace", "candidate": second.candidate_id})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.candidate_id == second.candidate_id
    foreign = other.scenes.get().candidate_id
    assert client.post(url, {"action": "replace", "candidate": foreign}).status_code == 404
    first.refresh_from_db()
    assert first.candidate_id == second.candidate_id


@pytest.mark.django_db
def test_garbage_ids_and_counts_are_4xx_not_500(client, tenant_a, subscriber_a):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=1)
    client.force_login(subscriber_a)
    base = f"/video-ringtone/m/drafts/{draft.pk}"
    scene = draft.scenes.get()
    assert client.post(f"{base}/scenes/", {"candidate": "abc"}).status_code == 404
    assert client.post(f"{base}/submit/", {"render": "not-a-uuid"}).status_code == 404
    response = client.post(f"{base}/scenes/{scene.pk}/", {"action": "replace", "candidate": "x"})
    assert response.status_code == 404
    api = APIClient()
    api.force_login(subscriber_a)
    root = f"/api/v1/video-ringtone/drafts/{draft.pk}"
    response = api.post(f"{root}/candidates/", {"source": "text", "count": "many"}, format="json")
    assert response.status_code == 400 and "count" in response.json()["error"]["fields"]
    assert api.post(f"{root}/submit/", {"render": "nope"}, format="json").status_code == 400
    assert api.post(f"{root}/photos/", {}, format="multipart").status_code == 400


@pytest.mark.django_db
def test_tenant_theme_templates_are_offered_to_its_subscribers_only(
    client, tenant_a, admin_a, subscriber_a, subscriber_b, tenant_b
):
    client.force_login(admin_a)
    theme = {
        "form": "theme", "key": "mid-autumn", "label": "中秋", "prompt": "圆月 桂花 月饼",
        "caption": "中秋快乐", "style": "ink_wash", "music": "calm_pad",
    }  # fmt: skip
    assert client.post("/video-ringtone/", theme).status_code == 302
    assert client.post("/video-ringtone/", theme).status_code == 400  # the key is taken
    assert (
        client.post("/video-ringtone/", {**theme, "key": "x2", "caption": "赌博网站"}).status_code
        == 400
    )
    assert client.post("/video-ringtone/", {**theme, "key": "birthday"}).status_code == 400
    client.force_login(subscriber_a)
    assert 'value="mid-autumn"' in client.get("/video-ringtone/m/").content.decode()
    client.post("/video-ringtone/m/drafts/new/", {"theme": "mid-autumn"})
    draft = Draft.objects.for_tenant(tenant_a).get()
    assert (draft.prompt, draft.caption, draft.style) == ("圆月 桂花 月饼", "中秋快乐", "ink_wash")
    client.force_login(subscriber_b)
    assert 'value="mid-autumn"' not in client.get("/video-ringtone/m/").content.decode()
    client.post("/video-ringtone/m/drafts/new/", {"theme": "mid-autumn"})
    assert not Draft.objects.for_tenant(tenant_b).exists()
