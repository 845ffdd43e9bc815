"""Every fixture set has a second tenant, in another tree, that the user must never see."""

import pytest
from channels.layers import channel_layers
from rest_framework.test import APIClient

from suite.accounts.services import api_key_create
from suite.ai.config_cache import invalidate
from suite.ai.pipeline import cooldown_clear
from suite.ai.speech_cache import SPEECH_CACHE
from suite.tenancy.models import Role, TenantKind
from suite.tenancy.services import tenant_create
from tests.db import close_sync_thread_connections
from tests.factories import member

pytest_plugins = ["tests.browser", "tests.llm"]


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_connection_left_in_the_sync_thread():
    # Async tests reach the ORM through sync_to_async, in a thread that outlives them.
    yield
    close_sync_thread_connections()


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    # A layer instance remembers the event loop its receivers run on. A server thread stopped
    # by force under load (tests.browser) can leave a receiver behind on its dead loop, and the
    # next test's loop would then trip over that receiver's lock: every test gets new layers.
    yield
    channel_layers.backends = {}


@pytest.fixture(autouse=True)
def _fresh_model_config():
    # Tests write AiModel/Quota rows with the ORM, not through services that invalidate.
    invalidate()
    SPEECH_CACHE.clear()  # keyed by tenant pk, and pks repeat across tests on SQLite
    yield
    invalidate()
    # A model that failed in one test (a server on a port now closed) must not start the
    # next test in cooldown.
    cooldown_clear()


@pytest.fixture
def tenant_a(db):
    province = tenant_create(slug="gd", name="广东省分公司", kind=TenantKind.PROVINCE)
    return tenant_create(slug="gd-sz", name="深圳市分公司", kind=TenantKind.CITY, parent=province)


@pytest.fixture
def tenant_b(db):
    province = tenant_create(slug="sc", name="四川省分公司", kind=TenantKind.PROVINCE)
    return tenant_create(slug="sc-cd", name="成都市分公司", kind=TenantKind.CITY, parent=province)


@pytest.fixture
def admin_a(tenant_a):
    return member(tenant_a, Role.TENANT_ADMIN, username="admin_a", phone="13812345678")


@pytest.fixture
def admin_b(tenant_b):
    return member(tenant_b, Role.TENANT_ADMIN, username="admin_b")


@pytest.fixture
def client_a(client, admin_a):
    client.force_login(admin_a)
    return client


@pytest.fixture
def api_a(admin_a):
    api = APIClient()
    api.force_login(admin_a)
    return api


@pytest.fixture
def key_a(tenant_a) -> str:
    return api_key_create(tenant=tenant_a, name="a", scopes=["maas", "callcenter"]).raw


@pytest.fixture
def key_b(tenant_b) -> str:
    return api_key_create(tenant=tenant_b, name="b", scopes=["maas", "callcenter"]).raw
