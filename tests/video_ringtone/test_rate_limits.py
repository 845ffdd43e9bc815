"""Likes and comments are rate limited per user: a 429 with Retry-After in the API, an error
on the page, nothing written past the limit; other users and the next window are unaffected."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from suite.tenancy.models import Role
from tests.factories import member
from video_ringtone.models import Comment, Ringtone, RingtoneStatus
from video_ringtone.services import publishing, ratelimits, rendering
from video_ringtone.services.ratelimits import Limit, RateLimited

from .conftest import draft_with_scenes


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]  # the start of a minute
    monkeypatch.setattr(ratelimits, "_now", lambda: now[0])
    return now


@pytest.fixture
def shared(tenant_a, subscriber_a, short_limits, tiny):
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=1, seconds=1.0)
    render = rendering.render_inline(draft=draft, user=subscriber_a, profile="low")
    return Ringtone.objects.create(
        tenant=tenant_a, owner=subscriber_a, draft=draft, render=render, title="生日快乐",
        status=RingtoneStatus.APPROVED, in_gallery=True, review_due_at=timezone.now(),
    )  # fmt: skip


@pytest.mark.django_db
def test_comments_past_the_limit_are_refused_until_the_window_ends(
    tenant_a, subscriber_a, shared, clock, monkeypatch
):
    monkeypatch.setitem(ratelimits.LIMITS, "comment", (Limit(3, 60), Limit(5, 86400)))
    fan = member(tenant_a, Role.SUBSCRIBER, username="fan", phone="13700137000")
    for n in range(3):
        publishing.comment_add(ringtone=shared, user=fan, text=f"好看{n}")
    clock[0] += 20
    with pytest.raises(RateLimited) as refused:
        publishing.comment_add(ringtone=shared, user=fan, text="再来一条")
    assert refused.value.retry_after == 40
    assert Comment.objects.for_tenant(tenant_a).count() == 3
    # Someone else is not held back by the fan's comments.
    publishing.comment_add(ringtone=shared, user=subscriber_a, text="谢谢")
    clock[0] += 40  # the next minute
    publishing.comment_add(ringtone=shared, user=fan, text="又来了")
    publishing.comment_add(ringtone=shared, user=fan, text="最后一条")
    clock[0] += 60
    with pytest.raises(RateLimited):  # the daily limit (5) holds across minutes
        publishing.comment_add(ringtone=shared, user=fan, text="第六条")
    assert Comment.objects.for_tenant(tenant_a).filter(user=fan).count() == 5


@pytest.mark.django_db
def test_like_churn_gets_a_429_in_the_api_and_an_error_on_the_page(
    client, tenant_a, subscriber_a, shared, clock, monkeypatch
):
    monkeypatch.setitem(ratelimits.LIMITS, "like", (Limit(4, 60),))
    monkeypatch.setitem(ratelimits.LIMITS, "comment", (Limit(1, 60),))
    fan = member(tenant_a, Role.SUBSCRIBER, username="fan", phone="13700137000")
    api = APIClient()
    api.force_login(fan)
    url = f"/api/v1/video-ringtone/gallery/{shared.pk}/"
    liked = [api.post(f"{url}like/").json()["liked"] for _ in range(4)]
    assert liked == [True, False, True, False]
    refused = api.post(f"{url}like/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 60
    shared.refresh_from_db()
    assert shared.like_count == 0  # the refused toggle changed nothing

    assert api.post(f"{url}comments/", {"text": "好看"}, format="json").status_code == 201
    assert api.post(f"{url}comments/", {"text": "好看"}, format="json").status_code == 429

    client.force_login(fan)
    clock[0] += 13  # the refusals below name the 47 s left of this minute
    page = client.post(f"/video-ringtone/m/gallery/{shared.pk}/comment/", {"text": "再说一句"})
    assert page.status_code == 429
    assert "47" in page.content.decode()
    follow = client.post(f"/video-ringtone/m/gallery/{shared.pk}/like/", follow=True)
    assert follow.status_code == 200
    assert "47" in follow.content.decode()
    shared.refresh_from_db()
    assert shared.like_count == 0
    assert Comment.objects.for_tenant(tenant_a).count() == 1
