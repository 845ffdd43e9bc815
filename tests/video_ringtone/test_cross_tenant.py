"""Another tenant's drafts, renders, ringtones, reviews, gallery and files are 404s, exactly
like missing ones, on every page, API route and file URL; the owner gets them (control)."""

import pytest
from rest_framework.test import APIClient

from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member
from video_ringtone.models import (
    Assignment,
    Comment,
    Draft,
    Employee,
    Ringtone,
    Scene,
    ThemeTemplate,
)
from video_ringtone.services import publishing, rendering, review

from .conftest import draft_with_scenes, jpeg_bytes, picture


@pytest.fixture
def world(tenant_a, subscriber_a, reviewer_a, short_limits, eager, tiny,
          django_capture_on_commit_callbacks):  # fmt: skip
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        render = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
    render.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ringtone = review.ringtone_submit(
            draft=draft, render=render, user=subscriber_a, in_gallery=True
        )
    ringtone.refresh_from_db()
    review.review_decide(ringtone=ringtone, reviewer=reviewer_a, approve=True)
    pending_draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        pending_render = rendering.render_start(
            draft=pending_draft, user=subscriber_a, profile="low"
        )
    pending_render.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        pending = review.ringtone_submit(
            draft=pending_draft, render=pending_render, user=subscriber_a
        )
    pending.refresh_from_db()
    ringtone.kind = "enterprise"
    ringtone.save()
    with django_capture_on_commit_callbacks(execute=True):
        assignment = publishing.assignment_create(
            ringtone=ringtone, phone=subscriber_a.phone, user=subscriber_a
        )
    employee = Employee.objects.create(tenant=tenant_a, name="张伟", phone="13500000000")
    theme = ThemeTemplate.objects.create(
        tenant=tenant_a, key="zhongqiu", label="中秋", prompt="圆月"
    )
    Comment.objects.create(tenant=tenant_a, ringtone=ringtone, user=subscriber_a, text="好看")
    return {
        "draft": draft,
        "scene": draft.scenes.first(),
        "photo": draft.photos.first(),
        "candidate": draft.scenes.first().candidate,
        "render": render,
        "ringtone": ringtone,
        "pending": pending,
        "assignment": assignment,
        "theme": theme,
        "employee": employee,
    }


PAGES = [
    # (route, method, url template, data)
    ("m_draft", "get", "/video-ringtone/m/drafts/{draft.pk}/", None),
    (
        "m_draft",
        "post",
        "/video-ringtone/m/drafts/{draft.pk}/",
        {"title": "x", "music_volume": 5, "orientation": "portrait"},
    ),
    ("m_draft_status", "get", "/video-ringtone/m/drafts/{draft.pk}/status/", None),
    ("m_photo_add", "post", "/video-ringtone/m/drafts/{draft.pk}/photos/", "PHOTO"),
    ("m_photo_delete", "post", "/video-ringtone/m/drafts/{draft.pk}/photos/{photo.pk}/delete/", {}),
    ("m_candidates", "post", "/video-ringtone/m/drafts/{draft.pk}/candidates/", {"source": "text"}),
    (
        "m_scene_add",
        "post",
        "/video-ringtone/m/drafts/{draft.pk}/scenes/",
        {"candidate": "{candidate.pk}"},
    ),
    (
        "m_scene",
        "post",
        "/video-ringtone/m/drafts/{draft.pk}/scenes/{scene.pk}/",
        {"action": "delete"},
    ),
    ("m_render", "post", "/video-ringtone/m/drafts/{draft.pk}/render/", {"profile": "low"}),
    ("m_submit", "post", "/video-ringtone/m/drafts/{draft.pk}/submit/", {"render": "{render.pk}"}),
    ("m_ringtone", "get", "/video-ringtone/m/ringtones/{ringtone.pk}/", None),
    ("m_assign", "post", "/video-ringtone/m/ringtones/{ringtone.pk}/set/", {"caller_group": "all"}),
    ("m_unassign", "post", "/video-ringtone/m/assignments/{assignment.pk}/remove/", {}),
    ("m_gallery_item", "get", "/video-ringtone/m/gallery/{ringtone.pk}/", None),
    ("m_like", "post", "/video-ringtone/m/gallery/{ringtone.pk}/like/", {}),
    ("m_comment", "post", "/video-ringtone/m/gallery/{ringtone.pk}/comment/", {"text": "hi"}),
    ("m_gallery_set", "post", "/video-ringtone/m/gallery/{ringtone.pk}/set/", {}),
    ("m_copy", "post", "/video-ringtone/m/gallery/{ringtone.pk}/copy/", {}),
    ("candidate_file", "get", "/video-ringtone/files/candidates/{candidate.pk}/", None),
    ("render_file", "get", "/video-ringtone/files/renders/{render.pk}/video/", None),
    ("render_file", "get", "/video-ringtone/files/renders/{render.pk}/poster/", None),
    ("review_detail", "get", "/video-ringtone/review/{pending.pk}/", None),
    ("review_detail", "post", "/video-ringtone/review/{pending.pk}/", {"decision": "approve"}),
    ("enterprise_assign", "post", "/video-ringtone/enterprise/ringtones/{ringtone.pk}/assign/", {}),
    ("theme_delete", "post", "/video-ringtone/themes/{theme.pk}/delete/", {}),
    (
        "enterprise_employee_remove",
        "post",
        "/video-ringtone/enterprise/employees/{employee.pk}/remove/",
        {},
    ),
]

API = [
    ("vr-draft-detail", "get", "drafts/{draft.pk}/", None),
    ("vr-draft-detail", "patch", "drafts/{draft.pk}/", {"caption": "x"}),
    ("vr-draft-detail", "delete", "drafts/{draft.pk}/", None),
    ("vr-draft-candidates", "post", "drafts/{draft.pk}/candidates/", {"source": "text"}),
    ("vr-draft-photos", "post", "drafts/{draft.pk}/photos/", "PHOTO"),
    ("vr-draft-render", "post", "drafts/{draft.pk}/render/", {"profile": "low"}),
    ("vr-draft-scenes", "post", "drafts/{draft.pk}/scenes/", {"candidate": "{candidate.pk}"}),
    ("vr-draft-submit", "post", "drafts/{draft.pk}/submit/", {"render": "{render.pk}"}),
    ("vr-scene-detail", "get", "scenes/{scene.pk}/", None),
    ("vr-scene-detail", "patch", "scenes/{scene.pk}/", {"caption": "x"}),
    ("vr-scene-detail", "delete", "scenes/{scene.pk}/", None),
    ("vr-render-detail", "get", "renders/{render.pk}/", None),
    ("vr-ringtone-detail", "get", "ringtones/{ringtone.pk}/", None),
    ("vr-ringtone-assign", "post", "ringtones/{ringtone.pk}/assign/", {}),
    ("vr-assignment-detail", "delete", "assignments/{assignment.pk}/", None),
    ("vr-review-detail", "get", "reviews/{pending.pk}/", None),
    ("vr-review-approve", "post", "reviews/{pending.pk}/approve/", {}),
    ("vr-review-reject", "post", "reviews/{pending.pk}/reject/", {"reason": "x"}),
    ("vr-gallery-detail", "get", "gallery/{ringtone.pk}/", None),
    ("vr-gallery-comments", "get", "gallery/{ringtone.pk}/comments/", None),
    ("vr-gallery-comments", "post", "gallery/{ringtone.pk}/comments/", {"text": "x"}),
    ("vr-gallery-copy", "post", "gallery/{ringtone.pk}/copy/", {}),
    ("vr-gallery-set-same", "post", "gallery/{ringtone.pk}/set/", {}),
    ("vr-gallery-like", "post", "gallery/{ringtone.pk}/like/", {}),
    ("vr-employee-detail", "delete", "employees/{employee.pk}/", None),
    ("vr-enterprise-ringtone-detail", "get", "enterprise-ringtones/{ringtone.pk}/", None),
    (
        "vr-enterprise-ringtone-assign-all",
        "post",
        "enterprise-ringtones/{ringtone.pk}/assign-all/",
        {},
    ),
]


def _fill(template, objects):
    if isinstance(template, dict):
        return {k: _fill(v, objects) for k, v in template.items()}
    if isinstance(template, str):
        return template.format(**objects)
    return template


def _snapshot(tenant):
    return (
        list(Draft.objects.for_tenant(tenant).values_list("pk", "title", "caption")),
        Scene.objects.for_tenant(tenant).count(),
        list(Ringtone.objects.for_tenant(tenant).values_list("pk", "status", "like_count")),
        Comment.objects.for_tenant(tenant).count(),
        ThemeTemplate.objects.for_tenant(tenant).count(),
        Employee.objects.for_tenant(tenant).count(),
        list(Assignment.objects.for_tenant(tenant).values_list("pk", "state")),
    )


def _send(client, method, url, data, *, api=False):
    if data == "PHOTO":
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {"photo": SimpleUploadedFile("p.jpg", jpeg_bytes(picture(9)), "image/jpeg")}
        return getattr(client, method)(url, data)
    if api and method in ("post", "patch"):
        return getattr(client, method)(url, data or {}, format="json")
    return getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)


@covers(*{f"video_ringtone:{route}" for route, *_ in PAGES})
@pytest.mark.django_db
def test_pages_and_files_of_another_tenant_are_404(client, world, tenant_a, admin_b):
    objects = {**world}
    before = _snapshot(tenant_a)
    client.force_login(admin_b)  # admin: creator, reviewer and enterprise admin in tenant b
    for route, method, template, data in PAGES:
        response = _send(client, method, _fill(template, objects), _fill(data, objects))
        assert response.status_code == 404, (route, method, response.status_code)
    assert _snapshot(tenant_a) == before


@covers(*{f"api:{route}" for route, *_ in API})
@pytest.mark.django_db
def test_api_objects_of_another_tenant_are_404(world, tenant_a, admin_b):
    api = APIClient()
    api.force_login(admin_b)
    before = _snapshot(tenant_a)
    for route, method, template, data in API:
        url = "/api/v1/video-ringtone/" + _fill(template, world)
        response = _send(api, method, url, _fill(data, world), api=True)
        assert response.status_code == 404, (route, method, response.status_code)
    assert _snapshot(tenant_a) == before


@covers(
    "video_ringtone:home", "video_ringtone:review_queue", "video_ringtone:enterprise",
    "video_ringtone:m_home", "video_ringtone:m_gallery", "video_ringtone:m_draft_create",
    "api:vr-draft-list", "api:vr-render-list", "api:vr-ringtone-list", "api:vr-review-list",
    "api:vr-gallery-list", "api:vr-assignment-list", "api:vr-employee-list",
    "api:vr-enterprise-ringtone-list",
)  # fmt: skip
@pytest.mark.django_db
def test_lists_show_nothing_of_another_tenant(client, world, admin_b, tenant_b):
    client.force_login(admin_b)
    titles = [
        world["ringtone"].title,
        world["pending"].title,
        world["draft"].title,
        "张伟",
        "zhongqiu",
    ]
    for url in (
        "/video-ringtone/", "/video-ringtone/review/", "/video-ringtone/enterprise/",
        "/video-ringtone/m/", "/video-ringtone/m/gallery/",
    ):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not any(t in body for t in titles), url
    response = client.post("/video-ringtone/m/drafts/new/", {"theme": "love"})
    assert response.status_code == 302
    assert Draft.objects.for_tenant(tenant_b).count() == 1
    api = APIClient()
    api.force_login(admin_b)
    for path in ("drafts", "renders", "ringtones", "reviews", "gallery", "enterprise-ringtones"):
        data = api.get(f"/api/v1/video-ringtone/{path}/").json()
        ids = {str(item["id"]) for item in data["results"]}
        assert not ids & {
            str(world["ringtone"].pk),
            str(world["pending"].pk),
            str(world["render"].pk),
        }
    assert api.get("/api/v1/video-ringtone/employees/").json()["results"] == []
    employee = api.post(
        "/api/v1/video-ringtone/employees/", {"name": "李娜", "phone": "13500000000"}
    )
    assert employee.status_code == 201  # the same number is another tenant's business
    assert Employee.objects.for_tenant(tenant_b).count() == 1


@pytest.mark.django_db
def test_the_owner_reaches_the_same_urls(client, world, subscriber_a, reviewer_a):
    client.force_login(subscriber_a)
    for template in (
        "/video-ringtone/m/drafts/{draft.pk}/", "/video-ringtone/m/ringtones/{ringtone.pk}/",
        "/video-ringtone/m/gallery/{ringtone.pk}/",
        "/video-ringtone/files/candidates/{candidate.pk}/",
        "/video-ringtone/files/renders/{render.pk}/video/",
    ):  # fmt: skip
        assert client.get(_fill(template, world)).status_code == 200, template
    api = APIClient()
    api.force_login(subscriber_a)
    assert api.get(_fill("/api/v1/video-ringtone/drafts/{draft.pk}/", world)).status_code == 200
    listed = api.get("/api/v1/video-ringtone/assignments/").json()["results"]
    assert [a["id"] for a in listed] == [str(world["assignment"].pk)]
    url = _fill("/api/v1/video-ringtone/assignments/{assignment.pk}/", world)
    assert api.delete(url).status_code == 204
    world["assignment"].refresh_from_db()
    assert world["assignment"].state == "removed"
    client.force_login(reviewer_a)
    assert client.get(_fill("/video-ringtone/review/{pending.pk}/", world)).status_code == 200
    assert (
        client.get(_fill("/video-ringtone/files/renders/{render.pk}/video/", world)).status_code
        == 200
    )


@pytest.mark.django_db
def test_another_subscriber_of_the_same_tenant_cannot_open_my_draft(client, world, tenant_a):
    other = member(tenant_a, Role.SUBSCRIBER, username="neighbour", phone="13700000009")
    client.force_login(other)
    assert client.get(_fill("/video-ringtone/m/drafts/{draft.pk}/", world)).status_code == 404
    assert (
        client.get(_fill("/video-ringtone/files/candidates/{candidate.pk}/", world)).status_code
        == 404
    )
    # The approved ringtone is public within the tenant; the pending one's video is not.
    assert (
        client.get(_fill("/video-ringtone/files/renders/{render.pk}/video/", world)).status_code
        == 200
    )
    pending_url = f"/video-ringtone/files/renders/{world['pending'].render_id}/video/"
    assert client.get(pending_url).status_code == 404
