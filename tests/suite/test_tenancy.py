import pytest

from suite.api.viewsets import TenantModelViewSet
from suite.jobs.models import Job
from suite.tenancy.models import Role, TenantKind
from suite.tenancy.selectors import tenant_subtree, user_has_role
from suite.tenancy.services import TenantTreeError, tenant_create
from tests.factories import JobFactory, member

pytestmark = pytest.mark.django_db


def test_for_tenant_filters_and_none_means_nothing(tenant_a, tenant_b):
    mine = JobFactory(tenant=tenant_a)
    JobFactory(tenant=tenant_b)
    assert list(Job.objects.for_tenant(tenant_a)) == [mine]
    assert Job.objects.for_tenant(None).count() == 0


def test_tree_paths_and_subtree(tenant_a):
    ent = tenant_create(slug="gd-sz-ent", name="企业", kind=TenantKind.ENTERPRISE, parent=tenant_a)
    assert ent.path == "/gd/gd-sz/gd-sz-ent/"
    assert set(tenant_subtree(tenant_a.parent).values_list("slug", flat=True)) == {
        "gd",
        "gd-sz",
        "gd-sz-ent",
    }


def test_tree_rejects_impossible_parents(tenant_a):
    with pytest.raises(TenantTreeError):
        tenant_create(slug="x", name="x", kind=TenantKind.PROVINCE, parent=tenant_a)
    with pytest.raises(TenantTreeError):
        tenant_create(slug="y", name="y", kind=TenantKind.CITY, parent=None)


def test_roles_are_per_tenant(tenant_a, tenant_b):
    user = member(tenant_a, Role.CS_AGENT)
    assert user_has_role(user, tenant_a, Role.CS_AGENT)
    assert not user_has_role(user, tenant_b, Role.CS_AGENT)


def test_viewset_cannot_override_get_queryset():
    with pytest.raises(TypeError, match="scope_queryset"):

        class Leaky(TenantModelViewSet):
            queryset = Job.objects.all()

            def get_queryset(self):
                return Job.objects.all()


def test_viewset_cannot_drop_tenant_permission():
    from rest_framework.permissions import AllowAny

    with pytest.raises(TypeError, match="TenantAccess"):

        class Open(TenantModelViewSet):
            queryset = Job.objects.all()
            permission_classes = [AllowAny]
