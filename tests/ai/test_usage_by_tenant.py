"""Issue 16: a parent tenant's admin sees, on the usage page, the calls of the tenants below it
(they count against the parent's quotas), and never those of a tenant outside its subtree; a
tenant with nothing below it gets no such table."""

import pytest
from django.urls import reverse

from suite.ai import selectors
from suite.ai.models import UsageRecord
from suite.tenancy.models import Role, TenantKind
from suite.tenancy.services import tenant_create
from tests.factories import member

pytestmark = pytest.mark.django_db


def _calls(tenant, n: int, **fields) -> None:
    for _ in range(n):
        UsageRecord.objects.create(tenant=tenant, capability="chat", status="ok", **fields)


@pytest.fixture
def tree(tenant_a, tenant_b):
    province = tenant_a.parent
    company = tenant_create(
        slug="gd-sz-co", name="前海某公司", kind=TenantKind.ENTERPRISE, parent=tenant_a
    )
    _calls(province, 1)
    _calls(tenant_a, 3, tokens=10)
    _calls(company, 2)
    _calls(tenant_b, 5)  # another province's city
    _calls(tenant_b.parent, 4)
    return province, tenant_a, company


def test_calls_per_tenant_cover_the_subtree_only(tree):
    province, city, company = tree
    rows = selectors.usage_by_tenant(province)
    assert [(r["tenant_id"], r["requests"], r["own"]) for r in rows] == [
        (province.pk, 1, True),
        (city.pk, 3, False),
        (company.pk, 2, False),
    ]
    assert [r["depth"] for r in rows] == [0, 1, 2]
    assert rows[1]["tokens"] == 30
    assert [r["tenant_id"] for r in selectors.usage_by_tenant(city)] == [city.pk, company.pk]
    assert selectors.usage_by_tenant(company) == []  # nothing below it


def test_the_province_admin_sees_the_cities_calls_on_the_usage_page(client, tree, tenant_b):
    province, city, _company = tree
    client.force_login(member(province, Role.TENANT_ADMIN, username="prov_admin"))
    page = client.get(reverse("ai:usage")).content.decode()
    assert 'id="usage-tenants"' in page
    assert f'data-tenant="{city.pk}"' in page and "深圳市分公司" in page
    assert f'data-tenant="{tenant_b.pk}"' not in page and "成都市分公司" not in page
    assert 'data-total="requests">1<' in page  # the totals stay the province's own


def test_a_tenant_with_nothing_below_it_has_no_per_tenant_table(client, tree):
    _province, _city, company = tree
    client.force_login(member(company, Role.TENANT_ADMIN, username="co_admin"))
    page = client.get(reverse("ai:usage")).content.decode()
    assert 'id="usage-tenants"' not in page


def test_the_daily_fallback_table_says_when_there_were_no_calls(client, tenant_a):
    client.force_login(member(tenant_a, Role.TENANT_ADMIN, username="city_admin"))
    page = client.get(reverse("ai:usage")).content.decode()
    daily = page.split('class="table usage-daily"', 1)[1].split("</table>", 1)[0]
    assert 'class="empty"' in daily
    _calls(tenant_a, 1)
    page = client.get(reverse("ai:usage")).content.decode()
    daily = page.split('class="table usage-daily"', 1)[1].split("</table>", 1)[0]
    assert 'class="empty"' not in daily
