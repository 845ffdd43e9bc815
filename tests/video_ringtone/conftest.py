import io

import numpy as np
import pytest
from django.utils import translation
from PIL import Image, ImageDraw

from suite.celery import app
from suite.tenancy.models import Role
from tests.factories import member
from video_ringtone.catalog import PROFILES
from video_ringtone.models import Candidate, CandidateSource, RingtoneLimits
from video_ringtone.services import drafts


@pytest.fixture(autouse=True)
def _english(request):
    if "live_server" in request.fixturenames:
        yield
        return
    with translation.override("en"):
        yield


@pytest.fixture
def eager():
    """Tasks run in-process when their job is committed (use with
    django_capture_on_commit_callbacks(execute=True))."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def tiny(monkeypatch):
    """Renders in tests stay tiny: the device profiles mean 96, 112 and 128 pixels."""
    monkeypatch.setitem(PROFILES, "low", 96)
    monkeypatch.setitem(PROFILES, "standard", 112)
    monkeypatch.setitem(PROFILES, "high", 128)


@pytest.fixture
def subscriber_a(tenant_a):
    return member(tenant_a, Role.SUBSCRIBER, username="sub_a", phone="13800138000")


@pytest.fixture
def subscriber_b(tenant_b):
    return member(tenant_b, Role.SUBSCRIBER, username="sub_b", phone="13900139000")


@pytest.fixture
def reviewer_a(tenant_a):
    return member(tenant_a, Role.RINGTONE_REVIEWER, username="rev_a")


@pytest.fixture
def short_limits(tenant_a):
    return RingtoneLimits.objects.create(tenant=tenant_a, min_duration_s=1, max_duration_s=10)


def picture(seed: int = 0, size=(240, 320)) -> Image.Image:
    """A textured picture (gradient, shapes), different per seed."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack(
        [(x * 255 // w), (y * 255 // h), np.full_like(x, int(rng.integers(40, 220)))], axis=-1
    ).astype(np.uint8)
    img = Image.fromarray(base)
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        draw.ellipse(
            (x0, y0, x0 + 40, y0 + 40), fill=tuple(int(v) for v in rng.integers(0, 255, 3))
        )
    return img


def jpeg_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def draft_with_scenes(tenant, owner, *, scenes: int = 2, seconds: float = 1.0, **update):
    draft = drafts.draft_create(tenant=tenant, owner=owner, theme="birthday")
    if update:
        drafts.draft_update(draft=draft, **update)
    for index in range(scenes):
        drafts.photo_add(draft=draft, data=jpeg_bytes(picture(index)))
    uploads = Candidate.objects.for_tenant(tenant).filter(
        draft=draft, source=CandidateSource.UPLOAD
    )
    transitions = ["fade", "slide_left", "slide_up", "cut"]
    for index, candidate in enumerate(uploads):
        drafts.scene_add(
            draft=draft,
            candidate=candidate,
            caption=f"第{index + 1}幕 生日快乐",
            duration_s=seconds,
            transition=transitions[index % 4],
        )
    return draft


@pytest.fixture(autouse=True)
def _fresh_rate_limits(monkeypatch):
    """Rate-limit counters live in the cache (Redis in CI, kept between runs): every test
    counts under its own prefix."""
    import uuid

    from video_ringtone.services import ratelimits

    monkeypatch.setattr(ratelimits, "KEY_PREFIX", f"vr-rate-test-{uuid.uuid4().hex}")
