import pytest
from django.utils import translation

from video_analytics import services


@pytest.fixture(autouse=True)
def _english(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with translation.override("en"):
        yield


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
