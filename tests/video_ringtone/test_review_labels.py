"""What a ringtone reviewer reads: no link it cannot open, the checks column filled with the
checks' labels, engines and the fallback by their labels, never their codes (issue 16)."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from suite.tenancy.models import Role
from tests.factories import member
from tests.labels import visible_text
from video_ringtone.models import Draft, Render, RenderStatus, Ringtone, RingtoneStatus

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/video-ringtone/[^"#?]*)')
PASS = {"status": "pass", "detail": "ok"}


def _ringtone(tenant, owner, title, checks):
    draft = Draft.objects.create(tenant=tenant, owner=owner, title=title, theme="birthday")
    spec = {
        "scenes": [
            {"caption": "生日快乐", "duration_s": 3, "engine": "opencv-stylize", "fallback": True},
            {"caption": "", "duration_s": 2, "engine": "", "fallback": False},
        ]
    }
    render = Render.objects.create(
        tenant=tenant,
        draft=draft,
        status=RenderStatus.DONE,
        spec=spec,
        width=720,
        height=1280,
        duration_s=5,
        provider="video_ringtone (opencv-stylize, kokoro)",
    )
    return Ringtone.objects.create(
        tenant=tenant,
        owner=owner,
        draft=draft,
        render=render,
        title=title,
        spec=spec,
        status=RingtoneStatus.IN_REVIEW,
        checks=checks,
        review_due_at=timezone.now() + timedelta(hours=24),
    )


@pytest.fixture
def reviewer_client(client, reviewer_a):
    client.force_login(reviewer_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.fixture
def ringtones(tenant_a):
    owner = member(tenant_a, Role.SUBSCRIBER, username="sub_a", phone="13800138000")
    clean = _ringtone(
        tenant_a, owner, "全部通过", [{"key": k, **PASS} for k in ("safety", "duration")]
    )
    loud = _ringtone(
        tenant_a,
        owner,
        "声音太响",
        [
            {"key": "safety", **PASS},
            {"key": "loudness", "status": "warn", "detail": "-8 LUFS"},
        ],
    )
    return clean, loud


def test_reviewer_gets_no_link_it_cannot_open(reviewer_client, ringtones):
    pages = [
        "/video-ringtone/",
        "/video-ringtone/review/",
        f"/video-ringtone/review/{ringtones[0].pk}/",
    ]
    links = set()
    for url in pages:
        response = reviewer_client.get(url)
        assert response.status_code == 200
        links |= set(HREF.findall(response.content.decode()))
    assert "/video-ringtone/enterprise/" not in links
    assert "/video-ringtone/review/" in links  # the scan reads the links there are
    for link in links:
        assert reviewer_client.get(link).status_code == 200, link


def test_tenant_admin_still_reaches_the_enterprise_page(client, admin_a):
    client.force_login(admin_a)
    assert 'href="/video-ringtone/enterprise/"' in client.get("/video-ringtone/").content.decode()
    assert client.get("/video-ringtone/enterprise/").status_code == 200


def test_review_queue_names_each_check_and_says_when_all_passed(reviewer_client, ringtones):
    clean, loud = ringtones
    html = reviewer_client.get("/video-ringtone/review/").content.decode()

    def row(ringtone):
        return visible_text(html.split(f'data-ringtone="{ringtone.pk}"', 1)[1].split("</tr>", 1)[0])

    assert "全部检测通过" in row(clean)
    assert "响度" in row(loud)
    assert "全部检测通过" not in row(loud)
    assert "loudness" not in row(loud)
    # Due in 24 hours, said as a person would: "还剩 24小时0分", not "(23 小时，59 分钟)".
    assert re.search(r"还剩 (24小时0|23小时5\d)分", row(clean)), row(clean)
    assert "（" not in row(clean) and "(" not in row(clean)


def test_review_detail_names_engines_and_the_fallback(reviewer_client, ringtones):
    text = visible_text(
        reviewer_client.get(f"/video-ringtone/review/{ringtones[0].pk}/").content.decode()
    )
    assert "内置模板与照片风格化" in text and "Kokoro 语音合成" in text
    assert "内置备用方案，非生成模型" in text
    assert "上传" in text  # the scene without an engine is the subscriber's own photo
    assert "opencv-stylize" not in text and "kokoro" not in text
