import pytest
from django.utils import translation

from video_analytics import services


@pytest.fixture(autouse=True)
def _english_and_eager():
    from suite.celery import app

    # tasks run in the test's process; a real worker is used where that is the point
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    with translation.override("en"):
        yield
    app.conf.task_always_eager = before


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Runs what services defer to after commit (tasks, alerts) inside the test transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def stream_root(settings, tmp_path):
    """The one folder file:// cameras may read in a test, apart from MEDIA_ROOT (tmp_path/media)."""
    streams = tmp_path / "streams"
    streams.mkdir()
    settings.VIDEO_ANALYTICS_FILE_ROOTS = [str(streams)]
    settings.VIDEO_ANALYTICS_STREAM_HOSTS = []
    return streams


@pytest.fixture
def camera_a(tenant_a):
    return services.camera_create(
        tenant=tenant_a,
        name="东门入口",
        latitude=22.54,
        longitude=114.05,
        group="园区",
        tags=["入口"],
    )


@pytest.fixture
def camera_b(tenant_b):
    return services.camera_create(tenant=tenant_b, name="成都 B 摄像头")


@pytest.fixture
def analyst(client, tenant_a):
    from django.conf import settings

    from suite.tenancy.models import Role
    from tests.factories import member

    client.force_login(member(tenant_a, Role.VIDEO_ANALYST, username="analyst_a"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages asserted in English
    return client


@pytest.fixture
def api_client_a(admin_a):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(admin_a)
    api.cookies["django_language"] = "en"
    return api
