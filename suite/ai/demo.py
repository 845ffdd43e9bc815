"""Demo configuration of the model-access layer: quotas at two levels of the tree and a term."""

from django.db import transaction

from suite.tenancy.models import Tenant

from .capabilities import Capability, Unit
from .config_cache import invalidate
from .models import Period, Quota, SafetyCategory, SafetyTerm

QUOTAS = [
    # tenant slug, capability ("" = all), unit, period, limit
    ("gd", "", Unit.TOKENS, Period.DAY, 2_000_000),
    ("gd", Capability.GENERATE_IMAGE, Unit.IMAGES, Period.DAY, 5_000),
    ("gd-sz", Capability.CHAT, Unit.REQUESTS, Period.MINUTE, 120),
    ("gd-sz", Capability.TRANSCRIBE, Unit.AUDIO_SECONDS, Period.DAY, 36_000),
    ("gd-sz-ent", "", Unit.REQUESTS, Period.DAY, 1_000),
]
TERMS = [("gd", "代办手机靓号套现", SafetyCategory.FRAUD)]


@transaction.atomic
def seed_ai_demo() -> None:
    tenants = {t.slug: t for t in Tenant.objects.filter(slug__in={q[0] for q in QUOTAS})}
    for slug, capability, unit, period, limit in QUOTAS:
        Quota.objects.get_or_create(
            tenant=tenants[slug],
            capability=capability,
            unit=unit,
            period=period,
            defaults={"limit": limit},
        )
    for slug, term, category in TERMS:
        SafetyTerm.objects.get_or_create(
            tenant=tenants[slug], term=term, defaults={"category": category}
        )
    transaction.on_commit(invalidate)
