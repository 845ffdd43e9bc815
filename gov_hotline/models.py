"""12345 hotline data: the tenant's catalogue (categories, departments, dispatch rules, SLA,
holidays), work orders with their history, assignments to departments, return visits, the
classifier's training data, the policy knowledge base, hotspot alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from suite.privacy import mask_phone
from suite.tenancy.models import TenantOwnedModel


class RequestType(models.TextChoices):
    CONSULT = "咨询", _("Consultation")
    HELP = "求助", _("Request for help")
    COMPLAINT = "投诉", _("Complaint")
    REPORT = "举报", _("Report of wrongdoing")
    SUGGESTION = "建议", _("Suggestion")
    PRAISE = "表扬", _("Praise")


class Urgency(models.TextChoices):
    # With a context: other apps' catalogues, merged ahead of this one, name "Critical" 紧急
    # like "Urgent", and "Normal" 普通.
    NORMAL = "normal", pgettext_lazy("urgency", "Normal")
    URGENT = "urgent", pgettext_lazy("urgency", "Urgent")
    CRITICAL = "critical", pgettext_lazy("urgency", "Critical")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone (agent entry)")
    RECORDING = "recording", _("Uploaded recording")
    WEB = "web", _("Web")
    MOBILE = "mobile", _("Mobile app")
    OPEN311 = "open311", _("Open311")


class OrderStatus(models.TextChoices):
    # With a context: other apps' catalogues name "In progress" 处理中 and "Closed" 已结束.
    NEW = "new", pgettext_lazy("order status", "Awaiting dispatch")
    DISPATCHED = "dispatched", pgettext_lazy("order status", "Dispatched")
    IN_PROGRESS = "in_progress", pgettext_lazy("order status", "In progress")
    RETURNED = "returned", pgettext_lazy("order status", "Returned by department")
    REPLIED = "replied", pgettext_lazy("order status", "Replied, awaiting review")
    CLOSED = "closed", pgettext_lazy("order status", "Closed")
    MERGED = "merged", pgettext_lazy("order status", "Merged into another order")
    TRANSFERRED = "transferred", pgettext_lazy("order status", "Transferred to an emergency line")


OPEN_STATUSES = (
    OrderStatus.NEW,
    OrderStatus.DISPATCHED,
    OrderStatus.IN_PROGRESS,
    OrderStatus.RETURNED,
    OrderStatus.REPLIED,
)


class Category(TenantOwnedModel):
    """Two levels: a top-level category (parent null) and its subcategories."""

    name = models.CharField(max_length=40)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["parent_id", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "parent", "name"], name="gh_uniq_category_name"
            ),
            models.UniqueConstraint(
                fields=["tenant", "name"],
                condition=models.Q(parent__isnull=True),
                name="gh_uniq_top_category",
            ),
        ]

    def __str__(self) -> str:
        # The id decides, as before; the None test only tells the type checker.
        if self.parent_id and self.parent is not None:
            return f"{self.parent.name}/{self.name}"
        return self.name

    @property
    def code(self) -> str:
        """The Open311 service_code."""
        return f"c{self.pk}"


class District(TenantOwnedModel):
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="gh_uniq_district")]

    def __str__(self) -> str:
        return self.name


class Department(TenantOwnedModel):
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="hotline_departments"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="gh_uniq_department_code")
        ]

    def __str__(self) -> str:
        return self.name


class HandlingRole(models.TextChoices):
    LEAD = "lead", _("Lead (主办)")
    CO = "co", _("Co-handling (协办)")


class DispatchRule(TenantOwnedModel):
    """The dispatch catalogue: a (sub)category, optionally within one district, goes to a
    department as lead or co-handler. The more specific rule wins."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=8, choices=HandlingRole.choices, default=HandlingRole.LEAD)

    class Meta:
        ordering = ["category_id", "district_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "category", "district", "department"],
                name="gh_uniq_dispatch_rule",
            )
        ]


class SlaRule(TenantOwnedModel):
    request_type = models.CharField(max_length=4, choices=RequestType.choices)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    working_days = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "request_type", "urgency"], name="gh_uniq_sla_rule"
            )
        ]


class Holiday(TenantOwnedModel):
    """A day off on a weekday, or (is_workday) a weekend day worked in exchange (调休)."""

    date = models.DateField()
    name = models.CharField(max_length=60)
    is_workday = models.BooleanField(default=False)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["tenant", "date"], name="gh_uniq_holiday")]


class WorkOrder(TenantOwnedModel):
    number = models.CharField(max_length=24, db_index=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.NEW, db_index=True
    )
    text = models.TextField(help_text="What the citizen said or wrote (transcript or text).")
    transcript = models.JSONField(default=list, blank=True)  # segments of a recording
    recording = models.FileField(upload_to="gov_hotline/recordings/", blank=True)
    request_type = models.CharField(max_length=4, choices=RequestType.choices)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subcategory = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(max_length=200, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    summary = models.CharField(max_length=200)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    contact_name = models.CharField(max_length=60, blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    # The automatic draft as it was proposed (fields, confidence, evidence): kept so the
    # agent's corrections can be told apart from what the model filled.
    draft = models.JSONField(default=dict, blank=True)
    emergency_line = models.CharField(max_length=3, blank=True)
    direct_answer = models.TextField(blank=True)
    # The return-visit script (回访话术) for a closed order: its text and who wrote it (the
    # language model, named, or the template); see visits.py.
    visit_script = models.JSONField(default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_orders"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="gh_uniq_order_number")
        ]
        indexes = [models.Index(fields=["tenant", "district", "created_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class OrderEvent(TenantOwnedModel):
    """The order's history: every status change and action, who did it and why."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    @property
    def action_label(self) -> str:
        return str(EVENT_ACTIONS.get(self.action, self.action))

    @property
    def from_status_label(self) -> str:
        return _status_label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return _status_label(self.to_status)

    @property
    def actor_display(self) -> str:
        if self.actor_id is None and self.actor_label == "system":
            return str(pgettext_lazy("order event actor", "system"))
        return self.actor_label


def _status_label(code: str) -> str:
    return str(OrderStatus(code).label) if code in OrderStatus.values else code


# The history's actions (OrderEvent.action), as the order page names them. With a context:
# other apps' catalogues give "Created" and "Overdue" other meanings.
EVENT_ACTIONS = {
    "created": pgettext_lazy("order event", "Created"),
    "transferred": pgettext_lazy("order event", "Transferred to an emergency line"),
    "answered_directly": pgettext_lazy("order event", "Answered on the call"),
    "dispatched": pgettext_lazy("order event", "Dispatched"),
    "reassigned": pgettext_lazy("order event", "Reassigned"),
    "accepted": pgettext_lazy("order event", "Accepted"),
    "returned": pgettext_lazy("order event", "Returned"),
    "extension_requested": pgettext_lazy("order event", "Extension requested"),
    "extension_approved": pgettext_lazy("order event", "Extension approved"),
    "extension_rejected": pgettext_lazy("order event", "Extension rejected"),
    "evidence_attached": pgettext_lazy("order event", "Evidence attached"),
    "replied": pgettext_lazy("order event", "Replied"),
    "co_replied": pgettext_lazy("order event", "Co-handler replied"),
    "closed": pgettext_lazy("order event", "Closed"),
    "sent_back": pgettext_lazy("order event", "Sent back"),
    "reopened": pgettext_lazy("order event", "Reopened"),
    "visited": pgettext_lazy("order event", "Return visit"),
    "merged": pgettext_lazy("order event", "Merged into another order"),
    "merged_in": pgettext_lazy("order event", "Orders merged in"),
    "sla_reminder": pgettext_lazy("order event", "Deadline reminder"),
    "sla_overdue": pgettext_lazy("order event", "Overdue"),
}


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned with objection")
    REPLIED = "replied", _("Replied")
    WITHDRAWN = "withdrawn", _("Withdrawn (reassigned)")


class Assignment(TenantOwnedModel):
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=HandlingRole.choices)
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    reason = models.CharField(max_length=300, blank=True)  # why it was dispatched here
    objection = models.TextField(blank=True)
    reply = models.TextField(blank=True)
    evidence = models.FileField(upload_to="gov_hotline/evidence/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval", "Pending")
    APPROVED = "approved", pgettext_lazy("approval", "Approved")
    REJECTED = "rejected", _("Rejected")


class ExtensionRequest(TenantOwnedModel):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    working_days = models.PositiveSmallIntegerField()
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class ReturnVisit(TenantOwnedModel):
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="visits")
    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices)
    comment = models.TextField(blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class ExampleSource(models.TextChoices):
    SEED = "seed", _("Labelled set")
    ORDER = "order", _("Confirmed order")
    CORRECTION = "correction", _("Agent correction")


class TrainingExample(TenantOwnedModel):
    """One labelled text for the tenant's classifier; its embedding is cached with it so a
    retrain only embeds what is new."""

    text = models.TextField()
    request_type = models.CharField(max_length=4, choices=RequestType.choices)
    subcategory = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=12, choices=ExampleSource.choices)
    order = models.ForeignKey(
        WorkOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_fields = models.JSONField(default=list, blank=True)
    embedding = models.BinaryField(null=True, blank=True)
    embed_model = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class ClassifierModel(TenantOwnedModel):
    version = models.PositiveIntegerField()
    path = models.CharField(max_length=300)
    examples = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict)
    embed_model = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    # The training job that made this version: a job run again after its worker died finds
    # the version it made instead of making another (unique; empty for direct calls).
    job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="gh_uniq_classifier_version")
        ]


class PolicyArticle(TenantOwnedModel):
    """A knowledge-base entry agents answer consultations from (直办), cited by title/source."""

    title = models.CharField(max_length=200)
    question = models.CharField(max_length=300, blank=True)
    answer = models.TextField()
    source = models.CharField(max_length=300, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]


class HotspotAlert(TenantOwnedModel):
    subcategory = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(
        District, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    count = models.PositiveIntegerField()
    baseline = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "subcategory", "district", "window_end"],
                name="gh_uniq_hotspot_alert",
            )
        ]


class RecordingIntake(TenantOwnedModel):
    """An uploaded call recording on its way to a draft: stored once validated, transcribed and
    drafted by a job on the `asr` queue, then confirmed by the agent as an order. A live call
    (`call`) ends as one too, with its transcript and draft but no recording file."""

    recording = models.FileField(upload_to="gov_hotline/intake/", blank=True)
    call = models.OneToOneField(
        "telephony.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The order the agent confirmed from this intake; empty while it waits.
    order = models.OneToOneField(
        WorkOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="intake"
    )
    text = models.TextField(blank=True)
    transcript = models.JSONField(default=list, blank=True)
    draft = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Open311Feed(TenantOwnedModel):
    """The tenant's Open311 GeoReport v2 settings. Without a row, or with `public_reads` off,
    every Open311 call needs a `hotline` API key; with it on, the spec's GETs (services, a
    service definition, requests, one request, a token) serve the masked feed to anyone who
    names the tenant as `jurisdiction_id`. Creating a request always needs the key."""

    public_reads = models.BooleanField(
        _("public Open311 feed"),
        default=False,
        help_text=_("Anyone may read the masked Open311 feed without an API key."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="gh_uniq_open311_feed_tenant")
        ]
