from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from suite.tenancy.models import TenantOwnedModel

from .backends import ENGINE_MODULES
from .capabilities import Capability, PriceUnit, Unit

ENGINE_CHOICES = [(name, name) for name in ENGINE_MODULES]


class AiModel(TenantOwnedModel):
    """A backend a tenant configured for a capability. A tenant without rows of its own for a
    capability inherits its nearest ancestor's, and the root falls back to settings."""

    name = models.SlugField(max_length=80, help_text=_("The model id callers use."))
    capability = models.CharField(max_length=20, choices=Capability.choices)
    engine = models.CharField(max_length=30, choices=ENGINE_CHOICES)
    path = models.CharField(max_length=500, blank=True, help_text=_("Local folder or file."))
    options = models.JSONField(default=dict, blank=True)
    # Lower runs first; the rest are the fallback order.
    priority = models.PositiveSmallIntegerField(default=100)
    is_default = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    timeout_s = models.PositiveIntegerField(null=True, blank=True)
    dialect = models.CharField(
        max_length=30, blank=True, help_text=_("Speech models: the dialect this model serves.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["capability", "-is_default", "priority", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "capability", "name"], name="uniq_ai_model_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.capability}/{self.engine})"


class ModelAlias(TenantOwnedModel):
    """Another name for a model, e.g. `gpt-4o-mini` for the tenant's own language model, so a
    stock client works unchanged. Inherited down the tree; the nearest tenant's alias wins."""

    capability = models.CharField(max_length=20, choices=Capability.choices)
    alias = models.CharField(max_length=80, help_text=_("The name clients send."))
    target = models.SlugField(max_length=80, help_text=_("The model it means."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["capability", "alias"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "capability", "alias"], name="uniq_model_alias"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alias} -> {self.target} ({self.capability})"


class SpeechLanguage(models.TextChoices):
    MANDARIN = "zh", _("Mandarin voice")
    CANTONESE = "yue", _("Cantonese voice")
    ENGLISH = "en", _("English voice")


class VoiceDefault(TenantOwnedModel):
    """The voice a tenant speaks a language with when a caller asks for no voice (or
    `default`). A tenant without its own row uses its nearest ancestor's, the root the
    settings' AI_DEFAULT_VOICES."""

    language = models.CharField(max_length=8, choices=SpeechLanguage.choices)
    model = models.SlugField(max_length=80, help_text=_("A speech model entry's name."))
    voice = models.CharField(max_length=80, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "language"], name="uniq_voice_default")
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.model}/{self.voice}"


class Period(models.TextChoices):
    MINUTE = "minute", _("Per minute")
    HOUR = "hour", _("Per hour")
    DAY = "day", _("Per day")
    MONTH = "month", _("Per month")


class Quota(TenantOwnedModel):
    """A cap on one unit over one period, for one capability or all ("" = all).

    Quotas bind the whole subtree: a call by a city tenant counts against the city's quotas and
    against every ancestor's, so a province's cap bounds its cities and enterprises. A quota
    with an API key binds only the calls made with that key (its RPM, TPM and budget)."""

    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    capability = models.CharField(max_length=20, choices=Capability.choices, blank=True)
    unit = models.CharField(max_length=20, choices=Unit.choices)
    period = models.CharField(max_length=10, choices=Period.choices)
    limit = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["capability", "unit", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "capability", "unit", "period"],
                condition=models.Q(api_key__isnull=True),
                name="uniq_quota",
            ),
            models.UniqueConstraint(
                fields=["api_key", "capability", "unit", "period"],
                condition=models.Q(api_key__isnull=False),
                name="uniq_key_quota",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capability or '*'} {self.unit}/{self.period} <= {self.limit}"


class QuotaCounter(models.Model):
    quota = models.ForeignKey(Quota, on_delete=models.CASCADE, related_name="counters")
    window_start = models.DateTimeField()
    used = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["quota", "window_start"], name="uniq_quota_window")
        ]

    def __str__(self) -> str:
        return f"{self.quota} @ {self.window_start:%Y-%m-%d %H:%M}: {self.used}"


class CallStatus(models.TextChoices):
    OK = "ok", _("OK")
    INVALID = "invalid", _("Invalid input")
    BLOCKED = "blocked", _("Blocked by safety")
    QUOTA = "quota", _("Over quota")
    FAILED = "failed", _("Backend failed")


class UsageRecord(TenantOwnedModel):
    """One row per gateway call: the meter behind quotas, dashboards and billing."""

    capability = models.CharField(max_length=20, choices=Capability.choices)
    model = models.CharField(max_length=80, blank=True)
    engine = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=10, choices=CallStatus.choices)
    fallback = models.BooleanField(default=False)
    generative = models.BooleanField(default=True)
    requests = models.PositiveIntegerField(default=1)
    tokens = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    audio_seconds = models.FloatField(default=0)
    characters = models.PositiveIntegerField(default=0)
    images = models.PositiveIntegerField(default=0)
    frames = models.PositiveIntegerField(default=0)
    latency_ms = models.FloatField(default=0)
    # In yuan at the price in force when the call ran (exact to 0.000001元; statements round
    # their totals to the fen).
    cost = models.DecimalField(max_digits=16, decimal_places=6, default=0)
    content_id = models.CharField(max_length=40, blank=True)
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "capability", "created_at"])]


class PricePer(models.IntegerChoices):
    ONE = 1, _("per unit")
    THOUSAND = 1000, _("per thousand")
    MILLION = 1_000_000, _("per million")


class Price(TenantOwnedModel):
    """A line of a price book: what one unit of a model's use costs the tenants below this one
    (and this one too when it is at the top of the tree: see `pricing.sellers`).

    The nearest seller's price wins: an enterprise pays its city's price, else its province's;
    at one tenant a price for the named model beats its price for every model."""

    capability = models.CharField(max_length=20, choices=Capability.choices)
    model = models.SlugField(
        max_length=80, blank=True, help_text=_("Empty: every model of the capability.")
    )
    unit = models.CharField(max_length=20, choices=PriceUnit.choices)
    yuan = models.DecimalField(max_digits=14, decimal_places=6)
    per = models.PositiveIntegerField(choices=PricePer.choices, default=PricePer.ONE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["capability", "model", "unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "capability", "model", "unit"], name="uniq_price"
            )
        ]

    def __str__(self) -> str:
        return f"{self.capability}/{self.model or '*'} {self.unit}: {self.yuan}/{self.per}"


class SafetyCategory(models.TextChoices):
    POLITICS = "politics", _("Politically sensitive")
    PORNOGRAPHY = "pornography", _("Pornography")
    VIOLENCE = "violence", _("Violence and terrorism")
    GAMBLING = "gambling", _("Gambling")
    DRUGS = "drugs", _("Drugs")
    FRAUD = "fraud", _("Fraud")
    OTHER = "other", _("Other")


class SafetyTerm(TenantOwnedModel):
    """A tenant's own prohibited term, on top of the built-in lexicon."""

    term = models.CharField(max_length=100)
    category = models.CharField(
        max_length=20, choices=SafetyCategory.choices, default=SafetyCategory.OTHER
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category", "term"]
        constraints = [models.UniqueConstraint(fields=["tenant", "term"], name="uniq_safety_term")]

    def __str__(self) -> str:
        return self.term
