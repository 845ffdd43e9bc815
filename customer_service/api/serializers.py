from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from suite.accounts.models import User
from suite.api.masking import MaskPersonalData
from suite.privacy import mask_phone, mask_text

from ..models import (
    AgentSkill,
    Conversation,
    KbArticle,
    KbArticleVersion,
    KbCategory,
    LexiconEntry,
    Ticket,
    TicketAttachment,
    TicketEvent,
    Turn,
)
from ..services import subscriber_chat


class DialectIdentifySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000, trim_whitespace=True)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)


class AssistSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    history = serializers.ListField(
        child=serializers.CharField(max_length=2000), required=False, max_length=20
    )
    # Also ask the language model for replies (seconds, metered); the templates come either way.
    generate = serializers.BooleanField(required=False, default=False)


class SearchSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=500)
    k = serializers.IntegerField(min_value=1, max_value=20, default=5)


class LexiconEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LexiconEntry
        fields = ["id", "dialect", "term", "mandarin", "created_at"]
        read_only_fields = ["id", "created_at"]
        # The model allows a blank Mandarin reading; the service needs the value.
        extra_kwargs = {"mandarin": {"default": ""}}
        validators: list = []


class AgentSkillSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.__str__", read_only=True)
    dialects = serializers.ListField(child=serializers.CharField(max_length=16), max_length=5)

    class Meta:
        model = AgentSkill
        fields = ["id", "user", "name", "dialects"]
        read_only_fields = ["id"]
        validators: list = []


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = KbCategory
        fields = ["id", "name", "order"]


# Choice fields whose names other serializers also use (status, type, priority, channel, role)
# are plain strings here: each would otherwise be a differently-valued enum under one name in
# the OpenAPI schema. The services validate the values and answer 400 with the allowed ones.


class ArticleSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name", allow_blank=True, required=False)
    status = serializers.CharField(
        required=False, help_text="draft, published or archived", max_length=12
    )

    class Meta:
        model = KbArticle
        fields = [
            "id",
            "title",
            "body",
            "category",
            "tags",
            "status",
            "version",
            "source",
            "created_at",
            "updated_at",
            "published_at",
        ]
        read_only_fields = ["id", "version", "source", "created_at", "updated_at", "published_at"]


class ArticleVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = KbArticleVersion
        fields = ["version", "title", "body", "created_at"]


class RollbackSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="the past version to restore")


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=["markdown", "html", "faq_csv"])
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    publish = serializers.BooleanField(default=False)


class TurnSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True, help_text="customer, bot, agent or system")

    class Meta:
        model = Turn
        fields = [
            "seq",
            "role",
            "text",
            "normalized_text",
            "dialect",
            "dialect_confidence",
            "intent",
            "intent_confidence",
            "sentiment",
            "sentiment_score",
            "citations",
            "fallback",
            "model",
            "created_at",
        ]


class ConversationSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField()
    channel = serializers.CharField(read_only=True, help_text="chat or voice")
    status = serializers.CharField(read_only=True, help_text="bot, queued, agent or closed")
    summary = serializers.SerializerMethodField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "channel",
            "status",
            "dialect",
            "intent",
            "phone",
            "call_id",
            "escalation_reason",
            "summary",
            "satisfaction",
            "created_at",
            "queued_at",
            "closed_at",
        ]

    def get_phone(self, obj) -> str:
        return mask_phone(obj.phone)

    def get_summary(self, obj) -> str:
        return mask_text(obj.summary)


class ConversationDetailSerializer(ConversationSerializer):
    turns = TurnSerializer(many=True, read_only=True)
    prefill = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "turns", "prefill"]

    def get_prefill(self, obj) -> dict:
        prefill = dict((obj.state or {}).get("prefill") or {})
        if prefill.get("phone"):
            prefill["phone"] = mask_phone(prefill["phone"])
        return prefill


class SubscriberTurnSerializer(TurnSerializer):
    """A turn as the subscriber's chat shows it: a reply's disclaimer and sources block are left
    to the page's own label and source list (services/subscriber_chat.display_text)."""

    text = serializers.SerializerMethodField()

    def get_text(self, obj) -> str:
        return subscriber_chat.display_text(obj)


class QueueStatusSerializer(serializers.Serializer):
    ahead = serializers.IntegerField(help_text="conversations queued before this one")
    position = serializers.IntegerField()
    wait_minutes = serializers.IntegerField(help_text="an estimate, whole minutes")
    estimate = serializers.BooleanField()
    basis = serializers.CharField(help_text="recent (recent handoffs' waits) or default")
    text = serializers.CharField()


class SubscriberConversationSerializer(ConversationDetailSerializer):
    turns = SubscriberTurnSerializer(many=True, read_only=True)
    queue = serializers.SerializerMethodField()

    class Meta(ConversationDetailSerializer.Meta):
        fields = [*ConversationDetailSerializer.Meta.fields, "queue"]

    @extend_schema_field(QueueStatusSerializer(allow_null=True))
    def get_queue(self, obj) -> dict | None:
        return subscriber_chat.queue_status(obj)


class StartSerializer(serializers.Serializer):
    channel = serializers.CharField(default="chat", max_length=8, help_text="chat or voice")


class MessageSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=1000, trim_whitespace=True)


class VoiceSerializer(serializers.Serializer):
    audio = serializers.FileField()


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


TYPES_HELP = "consultation, complaint, fault_repair or business"
PRIORITIES_HELP = "low, normal, high or urgent"


class TicketFromConversationSerializer(serializers.Serializer):
    type = serializers.CharField(required=False, max_length=16, help_text=TYPES_HELP)
    priority = serializers.CharField(required=False, max_length=8, help_text=PRIORITIES_HELP)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)


class TicketEventSerializer(serializers.ModelSerializer):
    actor: serializers.StringRelatedField[User] = serializers.StringRelatedField()

    class Meta:
        model = TicketEvent
        fields = ["kind", "from_status", "to_status", "text", "actor", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketAttachment
        fields = ["id", "name", "content_type", "size", "shared_with_customer", "created_at"]


class TicketSerializer(MaskPersonalData, serializers.ModelSerializer):
    """Lists mask the phone number, the address and numbers in the summary; the detail view
    shows them to staff."""

    assignee: serializers.StringRelatedField[User] = serializers.StringRelatedField(allow_null=True)
    type = serializers.CharField(read_only=True, help_text=TYPES_HELP)
    priority = serializers.CharField(read_only=True, help_text=PRIORITIES_HELP)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "type",
            "priority",
            "status",
            "category",
            "summary",
            "phone",
            "address",
            "sla_due",
            "assignee",
            "conversation",
            "call_id",
            "dialect",
            "created_at",
            "updated_at",
            "resolved_at",
            "sla_breached_at",
        ]
        mask_text = ["summary"]
        mask_phone = ["phone"]
        mask_address = ["address"]


class TicketDetailSerializer(TicketSerializer):
    events = TicketEventSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "events", "attachments"]


class TicketCreateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["consultation", "complaint", "fault_repair", "business"]
    )
    priority = serializers.ChoiceField(
        choices=["low", "normal", "high", "urgent"], default="normal"
    )
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    summary = serializers.CharField(max_length=5000)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    call_id = serializers.CharField(max_length=64, required=False, allow_blank=True)


class TransitionSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=12)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class AssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(allow_null=True)


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    shared_with_customer = serializers.BooleanField(
        default=False, help_text="Let the subscriber who filed the ticket see this file."
    )
