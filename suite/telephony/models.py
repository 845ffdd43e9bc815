import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from suite.tenancy.models import TenantOwnedModel


class CallProtocol(models.TextChoices):
    TWILIO = "twilio", _("Twilio Media Streams")
    STREAM = "stream", _("Native stream")


class CallStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    DROPPED = "dropped", _("Dropped")


class Speaker(models.TextChoices):
    CALLER = "caller", _("Caller")
    BOT = "bot", _("Bot")


class Call(TenantOwnedModel):
    """One phone call streamed in by a call-center platform. The id is what a client resumes by."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The product whose handler served the call ("customer_service", "gov_hotline" ...).
    product = models.CharField(max_length=40)
    protocol = models.CharField(max_length=10, choices=CallProtocol.choices)
    # The platform's own ids: Twilio callSid / streamSid, or the native client's reference.
    external_id = models.CharField(max_length=64, blank=True)
    stream_id = models.CharField(max_length=64, blank=True)
    # Personal data: shown masked except to roles that need it (suite.privacy.mask_phone).
    caller_number = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=10, choices=CallStatus.choices, default=CallStatus.ACTIVE)
    language = models.CharField(max_length=10, blank=True)
    dialect = models.CharField(max_length=30, blank=True)
    speak_replies = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)
    audio_seconds = models.FloatField(default=0.0)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Renewed by the process that holds the call while it does; a call whose process died
    # stops renewing it and the sweep ends it (services.call_sweep_orphaned).
    alive_at = models.DateTimeField(null=True, blank=True)
    # The key the platform streams with: revoking it ends the call (services.call_keepalive).
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["tenant", "external_id"], name="telephony_call_ext")]

    def __str__(self) -> str:
        return str(self.id)


class CallUtterance(TenantOwnedModel):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="utterances")
    index = models.PositiveIntegerField()
    speaker = models.CharField(max_length=10, choices=Speaker.choices, default=Speaker.CALLER)
    text = models.TextField()
    start_s = models.FloatField(default=0.0)
    end_s = models.FloatField(default=0.0)
    dialect = models.CharField(max_length=30, blank=True)
    dialect_confidence = models.FloatField(null=True, blank=True)
    intent = models.CharField(max_length=40, blank=True)
    sentiment = models.CharField(max_length=20, blank=True)
    # What the product's handler derived from the turn (suggestions, knowledge hits ...).
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "index"]
        constraints = [
            models.UniqueConstraint(fields=["call", "index"], name="uniq_call_utterance_index")
        ]

    def __str__(self) -> str:
        return f"{self.call_id}#{self.index}"
