from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from suite.tenancy.models import TenantOwnedModel


class Dialect(models.TextChoices):
    MANDARIN = "mandarin", _("Mandarin")
    CANTONESE = "cantonese", _("Cantonese")
    SICHUANESE = "sichuanese", _("Sichuanese")
    SHANGHAINESE = "shanghainese", _("Shanghainese")
    NORTHEASTERN = "northeastern", _("Northeastern")


# --- knowledge base ------------------------------------------------------------------------


class KbCategory(TenantOwnedModel):
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="cs_uniq_kb_category")
        ]

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ArticleSource(models.TextChoices):
    MANUAL = "manual", _("Written in the portal")
    MARKDOWN = "markdown", _("Markdown import")
    HTML = "html", _("HTML import")
    FAQ_CSV = "faq_csv", _("FAQ CSV import")
    UNANSWERED = "unanswered", _("Drafted from an unanswered question")
    DEMO = "demo", _("Demo data")


class KbArticle(TenantOwnedModel):
    category = models.ForeignKey(
        KbCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=ArticleStatus.choices, default="draft")
    version = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=12, choices=ArticleSource.choices, default="manual")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["category__order", "title"]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return self.title


class KbArticleVersion(TenantOwnedModel):
    """The text of every saved version, so an edit can be reviewed or rolled back."""

    article = models.ForeignKey(KbArticle, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["article", "version"], name="cs_uniq_article_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


# --- dialects ------------------------------------------------------------------------------


class LexiconEntry(TenantOwnedModel):
    """A tenant's own dialect word -> Mandarin mapping; it adds to or overrides the built-ins."""

    dialect = models.CharField(max_length=16, choices=Dialect.choices)
    term = models.CharField(_("dialect term"), max_length=40)
    mandarin = models.CharField(_("Mandarin"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dialect", "term"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dialect", "term"], name="cs_uniq_lexicon_term"
            )
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.mandarin}"


class AgentSkill(TenantOwnedModel):
    """The dialects an agent can serve; handoffs in other dialects are not offered to them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dialects = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="cs_uniq_agent_skill")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {', '.join(self.dialects)}"


# --- conversations -------------------------------------------------------------------------


class Channel(models.TextChoices):
    CHAT = "chat", pgettext_lazy("channel", "Chat")
    VOICE = "voice", _("Voice")


class ConversationStatus(models.TextChoices):
    BOT = "bot", _("With the assistant")
    QUEUED = "queued", _("Waiting for an agent")
    AGENT = "agent", _("With an agent")
    CLOSED = "closed", _("Closed")


class EscalationReason(models.TextChoices):
    EXPLICIT = "explicit_request", _("Asked for a human agent")
    ANGER = "anger", _("Customer is angry")
    REPEATED_FAILURE = "repeated_failure", _("Repeated failure to answer")
    LOW_CONFIDENCE = "low_confidence", _("Low recognition confidence")
    # A live call in assist mode (the bot's replies are not spoken): an agent answered it.
    AGENT_ASSISTED = "agent_assisted", _("Answered by an agent (assist mode)")


class Intent(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    FAULT_REPAIR = "fault_repair", _("Fault repair")
    PLAN_CHANGE = "plan_change", _("Plan change")
    PACKAGE_ORDER = "package_order", _("Package order")
    SUSPENSION = "suspension", _("Suspension / resumption")
    HUMAN_AGENT = "human_agent", _("Human agent request")
    GREETING = "greeting", _("Greeting")
    UNKNOWN = "unknown", _("Unknown")


class Conversation(TenantOwnedModel):
    channel = models.CharField(max_length=8, choices=Channel.choices, default="chat")
    subscriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = models.CharField(max_length=20, blank=True)
    call_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=8, choices=ConversationStatus.choices, default="bot")
    dialect = models.CharField(max_length=16, choices=Dialect.choices, default="mandarin")
    intent = models.CharField(max_length=16, choices=Intent.choices, blank=True)
    # Multi-turn state: slots collected, the slot being asked for, a pending confirmation,
    # consecutive failures. Only the dialogue service writes it.
    state = models.JSONField(default=dict, blank=True)
    escalation_reason = models.CharField(
        max_length=20, choices=EscalationReason.choices, blank=True
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(blank=True)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    satisfaction_comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "status"])]

    @property
    def customer_phone(self) -> str:
        """The number to reach the customer at: the call's, else the signed-in subscriber's;
        "" for an anonymous web chat."""
        if self.phone:
            return self.phone
        return (self.subscriber.phone or "") if self.subscriber is not None else ""

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_channel_display()}"


class TurnRole(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    BOT = "bot", _("Assistant")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class Turn(TenantOwnedModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=8, choices=TurnRole.choices)
    text = models.TextField()
    normalized_text = models.TextField(blank=True)
    dialect = models.CharField(max_length=16, choices=Dialect.choices, default="mandarin")
    dialect_confidence = models.FloatField(default=0)
    intent = models.CharField(max_length=16, choices=Intent.choices, blank=True)
    intent_confidence = models.FloatField(default=0)
    sentiment = models.CharField(max_length=8, blank=True)
    sentiment_score = models.FloatField(default=0)
    citations = models.JSONField(default=list, blank=True)
    # True when the reply came from an embedded fallback (extractive answer, rules).
    fallback = models.BooleanField(default=False)
    # The language model that wrote a generated reply (shown with its AI生成 label).
    model = models.CharField(max_length=100, blank=True)
    # For customer turns: whether the assistant found something to answer it with.
    answered = models.BooleanField(null=True)
    audio_seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="cs_uniq_turn_seq")
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}/{self.seq} {self.role}"


# --- tickets -------------------------------------------------------------------------------


class TicketType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    FAULT_REPAIR = "fault_repair", _("Fault repair")
    BUSINESS = "business", _("Business handling")


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for the customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Ticket(TenantOwnedModel):
    number = models.CharField(max_length=24)
    type = models.CharField(max_length=16, choices=TicketType.choices)
    priority = models.CharField(max_length=8, choices=TicketPriority.choices, default="normal")
    status = models.CharField(max_length=12, choices=TicketStatus.choices, default="new")
    category = models.CharField(_("category"), max_length=100, blank=True)
    summary = models.TextField(_("summary"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    sla_due = models.DateTimeField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subscriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    call_id = models.CharField(max_length=64, blank=True)
    dialect = models.CharField(max_length=16, choices=Dialect.choices, default="mandarin")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set once, by the periodic SLA check, when the ticket is still open past `sla_due`.
    sla_breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="cs_uniq_ticket_number")
        ]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return self.number


class TicketEventKind(models.TextChoices):
    # The suite's catalogue gives "Created" another meaning (a column: 创建时间).
    CREATED = "created", pgettext_lazy("ticket event", "Created")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    COMMENT = "comment", _("Comment")
    ATTACHMENT = "attachment", _("Attachment")
    SLA_BREACH = "sla_breach", _("SLA breached")


class TicketEvent(TenantOwnedModel):
    """The ticket's history: every status change, assignment and comment, in order."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=TicketEventKind.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    text = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


def attachment_path(instance: "TicketAttachment", filename: str) -> str:
    return f"customer_service/{instance.tenant_id}/tickets/{instance.ticket_id}/{filename}"


class TicketAttachment(TenantOwnedModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    # Staff files are internal unless the agent shares one with the subscriber who filed it.
    shared_with_customer = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name
