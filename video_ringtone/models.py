import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from suite.tenancy.models import TenantOwnedModel

from .catalog import ORIENTATIONS, TRANSITIONS


class RingtoneLimits(TenantOwnedModel):
    """The operator's limits for a tenant; a tenant without a row gets the defaults."""

    min_duration_s = models.PositiveSmallIntegerField(default=5)
    max_duration_s = models.PositiveSmallIntegerField(default=48)
    review_sla_hours = models.PositiveSmallIntegerField(default=24)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="uniq_ringtone_limits")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.min_duration_s}-{self.max_duration_s}s"


class ThemeTemplate(TenantOwnedModel):
    """A tenant's own theme template, offered beside the built-in ones (video_ringtone.catalog)."""

    key = models.SlugField(max_length=30)
    label = models.CharField(max_length=20)
    prompt = models.CharField(max_length=300)
    caption = models.CharField(max_length=40, blank=True)
    style = models.CharField(max_length=30, blank=True)
    music = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="uniq_theme_template_key")
        ]

    def __str__(self) -> str:
        return self.label


class DraftKind(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    ENTERPRISE = "enterprise", _("Enterprise")


class TextOrigin(models.TextChoices):
    """Who wrote a caption or the greeting: the subscriber (also unknown, for rows from before
    this was recorded, so nothing of theirs is ever replaced), a template, or a language model."""

    TYPED = "", _("Typed by you")
    TEMPLATE = "template", _("Template text")
    MODEL = "model", _("AI-generated")


class Draft(TenantOwnedModel):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=DraftKind.choices, default=DraftKind.PERSONAL)
    title = models.CharField(max_length=60)
    theme = models.CharField(max_length=20)
    prompt = models.CharField(max_length=300, blank=True)
    style = models.CharField(max_length=30, blank=True)
    caption = models.CharField(max_length=40, blank=True)
    music = models.CharField(max_length=30, blank=True)
    music_volume = models.PositiveSmallIntegerField(default=70)  # percent
    voice_text = models.CharField(max_length=60, blank=True)
    voice_text_origin = models.CharField(
        max_length=10, choices=TextOrigin.choices, default=TextOrigin.TYPED, blank=True
    )
    voice_text_model = models.CharField(max_length=100, blank=True)  # the model that wrote it
    # The latest written captions by scene position ([{"caption", "origin", "model"}]): scenes
    # added later take theirs, so captions can be written before there are any scenes.
    caption_suggestions = models.JSONField(default=list, blank=True)
    orientation = models.CharField(max_length=10, choices=ORIENTATIONS, default="portrait")
    copied_from = models.ForeignKey(
        "video_ringtone.Ringtone",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title


class Photo(TenantOwnedModel):
    """An uploaded photo, stored only after it decoded within the limits."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="photos")
    file = models.CharField(max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.file


class CandidateSource(models.TextChoices):
    TEXT = "text", _("From the prompt")
    PHOTO = "photo", _("From a photo")
    UPLOAD = "upload", _("Your photo")


class Candidate(TenantOwnedModel):
    """An image the user may put in a scene: generated, stylised from a photo, or the photo."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="candidates")
    file = models.CharField(max_length=300)  # what the user sees: AI images carry the badge
    # The generated pixels without the gateway's badge, what videos are rendered from (they
    # carry their own fixed badge); never served. Empty for the user's own photos.
    source_file = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=8, choices=CandidateSource.choices)
    style = models.CharField(max_length=30, blank=True)
    engine = models.CharField(max_length=60, blank=True)
    generative = models.BooleanField(default=False)
    fallback = models.BooleanField(default=False)
    content_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.file


class Scene(TenantOwnedModel):
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="scenes")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="+")
    caption = models.CharField(max_length=40, blank=True)
    caption_origin = models.CharField(
        max_length=10, choices=TextOrigin.choices, default=TextOrigin.TYPED, blank=True
    )
    caption_model = models.CharField(max_length=100, blank=True)  # the model that wrote it
    duration_s = models.DecimalField(max_digits=4, decimal_places=1, default=4)
    transition = models.CharField(max_length=12, choices=TRANSITIONS, default="fade")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.draft_id}#{self.position}"


class RenderStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Rendering")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Render(TenantOwnedModel):
    """One rendition of a draft as it was when rendering started (a frozen copy of the spec)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="renders")
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set on the extra renditions made once a ringtone is approved (the other device profiles).
    rendition_of = models.ForeignKey(
        "video_ringtone.Ringtone",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="renditions",
    )
    status = models.CharField(
        max_length=10, choices=RenderStatus.choices, default=RenderStatus.QUEUED
    )
    spec = models.JSONField(default=dict)
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    duration_s = models.FloatField(default=0)
    video = models.CharField(max_length=300, blank=True)
    poster = models.CharField(max_length=300, blank=True)
    provider = models.CharField(max_length=100, blank=True)
    content_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.draft_id} {self.width}x{self.height} ({self.status})"


class RingtoneStatus(models.TextChoices):
    CHECKING = "checking", _("Automatic checks running")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Ringtone(TenantOwnedModel):
    """A rendered ringtone submitted for review; approved ones are published."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    draft = models.ForeignKey(Draft, on_delete=models.SET_NULL, null=True, related_name="+")
    render = models.ForeignKey(Render, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=DraftKind.choices, default=DraftKind.PERSONAL)
    title = models.CharField(max_length=60)
    spec = models.JSONField(default=dict)  # what "use the same one" copies
    status = models.CharField(
        max_length=10, choices=RingtoneStatus.choices, default=RingtoneStatus.CHECKING
    )
    checks = models.JSONField(default=list)
    in_gallery = models.BooleanField(default=False)  # the owner chooses to share it
    submitted_at = models.DateTimeField(auto_now_add=True)
    review_due_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    like_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return self.title


class Like(TenantOwnedModel):
    ringtone = models.ForeignKey(Ringtone, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ringtone", "user"], name="uniq_ringtone_like")
        ]


class Comment(TenantOwnedModel):
    ringtone = models.ForeignKey(Ringtone, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Employee(TenantOwnedModel):
    """An employee of an enterprise tenant whose line gets the enterprise ringtone."""

    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=20)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "phone"], name="uniq_employee_phone")
        ]

    def __str__(self) -> str:
        return self.name


class CallerGroup(models.TextChoices):
    ALL = "all", _("Everyone")
    CONTACTS = "contacts", _("My contacts")
    FAMILY = "family", _("Family")
    COLLEAGUES = "colleagues", _("Colleagues")
    STRANGERS = "strangers", _("Numbers not in my contacts")


class AssignmentState(models.TextChoices):
    PENDING = "pending", _("Being set up")
    ACTIVE = "active", pgettext_lazy("ringtone assignment", "Active")
    FAILED = "failed", _("Failed")
    REMOVED = "removed", _("Removed")


class Assignment(TenantOwnedModel):
    """A ringtone set on a phone number, provisioned on the operator's ringtone platform."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ringtone = models.ForeignKey(Ringtone, on_delete=models.CASCADE, related_name="assignments")
    phone = models.CharField(max_length=20, db_index=True)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    caller_group = models.CharField(
        max_length=12, choices=CallerGroup.choices, default=CallerGroup.ALL
    )
    state = models.CharField(
        max_length=10, choices=AssignmentState.choices, default=AssignmentState.PENDING
    )
    platform_ref = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ringtone_id} -> {self.phone}"


class SimulatedProvision(TenantOwnedModel):
    """The local simulator's own table: what the operator's platform would hold."""

    request_id = models.CharField(max_length=64, unique=True)
    platform_ref = models.CharField(max_length=64)
    phone = models.CharField(max_length=20)
    content_id = models.CharField(max_length=64)
    windows = models.JSONField(default=dict)
    renditions = models.JSONField(default=dict)  # device profile -> file
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
