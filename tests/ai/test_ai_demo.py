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


def test_seed_demo_prices_each_tenant_at_its_sellers_price_and_sets_budgets(db):
    from decimal import Decimal

    from suite.ai.pricing import prices_for

    call_command("seed_demo", stdout=StringIO())
    tenants = {t.slug: t for t in Tenant.objects.all()}
    paid = {
        slug: prices_for(tenants[slug], "chat", "any-model")["output_tokens"].yuan
        for slug in ("gd", "gd-sz", "gd-sz-ent", "sc-cd")
    }
    # The provinces' list price for themselves and their cities; Shenzhen's resale price for
    # its enterprise.
    assert paid == {
        "gd": Decimal("0.002"),
        "gd-sz": Decimal("0.002"),
        "gd-sz-ent": Decimal("0.003"),
        "sc-cd": Decimal("0.002"),
    }
    budgets = {
        row["quota"].tenant.slug
        for row in quota.quota_status(tenants["gd-sz-ent"])
        if row["quota"].unit == "spend"
    }
    assert budgets == {"gd", "gd-sz-ent"}
