"""Demo configuration of the model-access layer: quotas and budgets at three levels of the tree,
price books (the provinces' list prices, the Shenzhen branch reselling to its enterprise) and a
term."""

from decimal import Decimal

from django.db import transaction

from suite.tenancy.models import Tenant

from .capabilities import MICRO_YUAN, Capability, PriceUnit, Unit
from .config_cache import invalidate
from .models import Period, Price, PricePer, Quota, SafetyCategory, SafetyTerm

QUOTAS = [
    # tenant slug, capability ("" = all), unit, period, limit
    ("gd", "", Unit.TOKENS, Period.DAY, 2_000_000),
    ("gd", Capability.GENERATE_IMAGE, Unit.IMAGES, Period.DAY, 5_000),
    ("gd-sz", Capability.CHAT, Unit.REQUESTS, Period.MINUTE, 120),
    ("gd-sz", Capability.TRANSCRIBE, Unit.AUDIO_SECONDS, Period.DAY, 36_000),
    ("gd-sz-ent", "", Unit.REQUESTS, Period.DAY, 1_000),
    # Budgets in money (micro-yuan): the province's monthly cap and the enterprise's.
    ("gd", "", Unit.SPEND, Period.MONTH, 50_000 * MICRO_YUAN),
    ("gd-sz-ent", "", Unit.SPEND, Period.MONTH, 300 * MICRO_YUAN),
]
_K, _1 = PricePer.THOUSAND, PricePer.ONE
# Ordinary list prices of Chinese model platforms in 2026 (yuan): tokens per thousand, audio per
# second, speech per character, images per picture.
LIST_PRICES = [
    (Capability.CHAT, PriceUnit.INPUT_TOKENS, "0.0008", _K),
    (Capability.CHAT, PriceUnit.OUTPUT_TOKENS, "0.002", _K),
    (Capability.EMBED, PriceUnit.TOKENS, "0.0005", _K),
    (Capability.TRANSCRIBE, PriceUnit.AUDIO_SECONDS, "0.0004", _1),
    (Capability.SYNTHESIZE, PriceUnit.CHARACTERS, "0.0002", _1),
    (Capability.GENERATE_IMAGE, PriceUnit.IMAGES, "0.06", _1),
    (Capability.EDIT_IMAGE, PriceUnit.IMAGES, "0.06", _1),
    (Capability.OCR, PriceUnit.IMAGES, "0.01", _1),
    (Capability.DETECT, PriceUnit.FRAMES, "0.001", _1),
]
PRICES = [
    *[("gd", *line) for line in LIST_PRICES],
    *[("sc", *line) for line in LIST_PRICES],
    # Shenzhen resells chat to its enterprise customers with a margin.
    ("gd-sz", Capability.CHAT, PriceUnit.INPUT_TOKENS, "0.001", _K),
    ("gd-sz", Capability.CHAT, PriceUnit.OUTPUT_TOKENS, "0.003", _K),
]
TERMS = [("gd", "代办手机靓号套现", SafetyCategory.FRAUD)]


@transaction.atomic
def seed_ai_demo() -> None:
    slugs = {q[0] for q in QUOTAS} | {p[0] for p in PRICES}
    tenants = {t.slug: t for t in Tenant.objects.filter(slug__in=slugs)}
    for slug, capability, unit, period, limit in QUOTAS:
        Quota.objects.get_or_create(
            tenant=tenants[slug],
            api_key=None,
            capability=capability,
            unit=unit,
            period=period,
            defaults={"limit": limit},
        )
    for slug, capability, price_unit, yuan, per in PRICES:
        Price.objects.get_or_create(
            tenant=tenants[slug],
            capability=capability,
            model="",
            unit=price_unit,
            defaults={"yuan": Decimal(yuan), "per": per},
        )
    for slug, term, category in TERMS:
        SafetyTerm.objects.get_or_create(
            tenant=tenants[slug], term=term, defaults={"category": category}
        )
    transaction.on_commit(invalidate)
