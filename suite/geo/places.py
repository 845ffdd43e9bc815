"""The place names a tenant carries: its own name and its parents' (深圳市分公司, 广东省分公司),
nearest first, for choosing which city's base map to draw."""

from __future__ import annotations

from suite.tenancy.models import Tenant


def tenant_places(tenant: Tenant) -> list[str]:
    slugs = [s for s in tenant.path.split("/") if s]
    names = dict(Tenant.objects.filter(slug__in=slugs).values_list("slug", "name"))
    return [names[s] for s in reversed(slugs) if s in names]
