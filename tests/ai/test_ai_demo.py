from io import StringIO

from django.core.management import call_command

from suite.ai import quota
from suite.ai.demo import QUOTAS
from suite.ai.models import Quota
from suite.tenancy.models import Tenant


def test_seed_demo_sets_tree_quotas_once_and_they_bind_the_enterprise(db):
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert Quota.objects.count() == len(QUOTAS)
    assert "create_api_key" in out.getvalue()
    enterprise = Tenant.objects.get(slug="gd-sz-ent")
    binding = {
        (row["quota"].tenant.slug, row["quota"].unit) for row in quota.quota_status(enterprise)
    }
    # Its own cap and those of its city and province.
    assert {("gd-sz-ent", "requests"), ("gd-sz", "requests"), ("gd", "tokens")} <= binding
