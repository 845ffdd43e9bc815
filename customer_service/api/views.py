"""REST endpoints: thin views over customer_service.services / selectors."""

from __future__ import annotations

from typing import cast

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from suite.accounts.models import User
from suite.api.parsers import JSONParser
from suite.api.viewsets import (
    TenantAPIView,
    TenantModelViewSet,
    TenantReadOnlyViewSet,
    TenantScopedMixin,
)
from suite.tenancy.models import Role

from .. import analytics, assist, knowledge, selectors, speech
from ..downloads import attachment_response
from ..models import (
    AgentSkill,
    Conversation,
    KbArticle,
    KbCategory,
    LexiconEntry,
    Ticket,
    Turn,
    TurnRole,
)
from ..roles import EDITORS, STAFF
from ..services import dialogue, lexicon, subscriber_chat, tickets
from ..services import knowledge as kb
from . import serializers as s

SUBSCRIBERS = (Role.SUBSCRIBER,)


def _valid(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- dialect, assist, search ---------------------------------------------------------------


class DialectIdentifyView(TenantAPIView):
    """Identify the dialect of a sentence and normalise it to Mandarin."""

    api_key_scope = "callcenter"
    required_roles = STAFF

    @extend_schema(request=s.DialectIdentifySerializer, responses=dict)
    def post(self, request):
        data = _valid(s.DialectIdentifySerializer, request)
        result = assist.understand(self.tenant, data["text"], data.get("language") or None)
        return Response(
            {
                "dialect": result["dialect"],
                "confidence": result["dialect_confidence"],
                "normalized_text": result["normalized_text"],
                "markers": result["dialect_markers"],
                "rule_based": True,
            }
        )


class AssistView(TenantAPIView):
    """What the agent desktop shows for one caller utterance (see customer_service.assist)."""

    api_key_scope = "callcenter"
    required_roles = STAFF

    @extend_schema(request=s.AssistSerializer, responses=dict)
    def post(self, request):
        data = _valid(s.AssistSerializer, request)
        history = data.get("history") or []
        result = assist.assist_utterance(
            tenant=self.tenant,
            text=data["text"],
            language=data.get("language") or None,
            history=history,
        )
        if data["generate"]:
            result = assist.with_generated_replies(
                result, tenant=self.tenant, history=history, text=data["text"]
            )
        return Response(result)


class KnowledgeSearchView(TenantAPIView):
    api_key_scope = "callcenter"
    required_roles = STAFF

    @extend_schema(parameters=[s.SearchSerializer], responses=dict)
    def get(self, request):
        serializer = s.SearchSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        hits, vectors = knowledge.search(
            self.tenant, serializer.validated_data["q"], k=serializer.validated_data["k"]
        )
        return Response(
            {
                "mode": "hybrid" if vectors else "lexical",
                "results": [h.as_dict() for h in hits],
            }
        )


# --- knowledge base ------------------------------------------------------------------------


class LexiconViewSet(TenantModelViewSet):
    """The tenant's own dialect words (they add to or override the built-in lexicon)."""

    queryset = LexiconEntry.objects.all()
    serializer_class = s.LexiconEntrySerializer
    required_roles = EDITORS
    filterset_fields = ["dialect"]

    def perform_create(self, serializer):
        serializer.instance = lexicon.lexicon_entry_create(
            tenant=self.tenant, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = lexicon.lexicon_entry_update(
            entry=serializer.instance,
            mandarin=serializer.validated_data.get("mandarin", serializer.instance.mandarin),
        )

    def perform_destroy(self, instance):
        lexicon.lexicon_entry_delete(entry=instance)


class AgentSkillViewSet(TenantModelViewSet):
    """The dialects each agent serves; the handoff queue offers an agent only those."""

    queryset = AgentSkill.objects.select_related("user").order_by("user__username")
    serializer_class = s.AgentSkillSerializer
    required_roles = EDITORS

    def _save(self, serializer, user_id: int):
        # Only a member of this tenant can be found: another tenant's user reads as unknown.
        user = User.objects.filter(pk=user_id, memberships__tenant=self.tenant).first()
        if user is None:
            raise ValidationError({"user": _("No agent with this id in this tenant.")})
        serializer.instance = lexicon.agent_skill_set(
            tenant=self.tenant, user=user, dialects=serializer.validated_data["dialects"]
        )

    def perform_create(self, serializer):
        self._save(serializer, serializer.validated_data["user_id"])

    def perform_update(self, serializer):
        serializer.validated_data.setdefault("dialects", serializer.instance.dialects)
        self._save(serializer, serializer.instance.user_id)


class KnowledgeEditing:
    """Agents read the knowledge base; writes need an editor role."""

    def _editor(self):
        from suite.tenancy.selectors import user_has_role

        if not user_has_role(self.request.user, self.tenant, *EDITORS):
            self.permission_denied(
                self.request,
                message=_("Only supervisors and administrators edit the knowledge base."),
            )


class CategoryViewSet(KnowledgeEditing, TenantModelViewSet):
    """Agents read the categories; supervisors and administrators edit them."""

    queryset = KbCategory.objects.all()
    serializer_class = s.CategorySerializer
    required_roles = STAFF
    pagination_class = None

    def perform_create(self, serializer):
        self._editor()
        data = serializer.validated_data
        serializer.instance = kb.category_create(
            tenant=self.tenant, name=data["name"], order=data.get("order", 0),
            user=self.request.user,
        )  # fmt: skip

    def perform_update(self, serializer):
        self._editor()
        data = serializer.validated_data
        serializer.instance = kb.category_update(
            category=serializer.instance, name=data.get("name"), order=data.get("order"),
            user=self.request.user,
        )  # fmt: skip

    def perform_destroy(self, instance):
        self._editor()
        kb.category_delete(category=instance, user=self.request.user)


class ArticleViewSet(KnowledgeEditing, TenantModelViewSet):
    queryset = KbArticle.objects.select_related("category")
    serializer_class = s.ArticleSerializer
    required_roles = STAFF
    filterset_fields = ["status", "category", "source"]
    ordering_fields = ["title", "updated_at", "version"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def perform_create(self, serializer):
        self._editor()
        data = serializer.validated_data
        serializer.instance = kb.article_create(
            tenant=self.tenant,
            title=data["title"],
            body=data["body"],
            category=data.get("category", {}).get("name", ""),
            tags=data.get("tags"),
            status=data.get("status", "draft"),
            user=self.request.user,
        )

    def perform_update(self, serializer):
        self._editor()
        data = serializer.validated_data
        serializer.instance = kb.article_update(
            article=serializer.instance,
            title=data.get("title"),
            body=data.get("body"),
            category=data["category"]["name"] if "category" in data else None,
            tags=data.get("tags"),
            status=data.get("status"),
            user=self.request.user,
        )

    def perform_destroy(self, instance):
        self._editor()
        kb.article_update(article=instance, status="archived", user=self.request.user)

    @extend_schema(request=None, responses=s.ArticleSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        self._editor()
        article = kb.article_publish(article=self.get_object(), user=request.user)
        return Response(s.ArticleSerializer(article).data)

    @extend_schema(request=s.RollbackSerializer, responses=s.ArticleSerializer)
    @action(detail=True, methods=["post"])
    def rollback(self, request, pk=None):
        """Restores a past version's text as a new version (audited)."""
        self._editor()
        article = self.get_object()
        data = _valid(s.RollbackSerializer, request)
        article = kb.article_rollback(article=article, version=data["version"], user=request.user)
        return Response(s.ArticleSerializer(article).data)

    @extend_schema(responses=s.ArticleVersionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request, pk=None):
        article = self.get_object()
        return Response(s.ArticleVersionSerializer(article.versions.all(), many=True).data)

    @extend_schema(request=s.ImportSerializer, responses={201: dict})
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_(self, request):
        self._editor()
        data = _valid(s.ImportSerializer, request)
        result = kb.articles_import(
            tenant=self.tenant,
            data=data["file"].read(kb.MAX_IMPORT_BYTES + 1),
            fmt=data["format"],
            category=data.get("category", ""),
            publish=data["publish"],
            user=request.user,
        )
        return Response(
            {
                "created": [{"id": a.pk, "title": a.title} for a in result.created],
                "skipped": [str(e) for e in result.errors],
            },
            status=status.HTTP_201_CREATED,
        )


# --- conversations (staff) -----------------------------------------------------------------


class ConversationViewSet(TenantReadOnlyViewSet):
    queryset = Conversation.objects.all()
    serializer_class = s.ConversationSerializer
    required_roles = STAFF
    filterset_fields = ["status", "channel", "dialect", "escalation_reason"]

    def get_serializer_class(self):
        return s.ConversationDetailSerializer if self.action != "list" else s.ConversationSerializer

    @extend_schema(
        parameters=[OpenApiParameter("all", str, enum=["1"], description="1: every dialect")],
        responses=s.ConversationSerializer(many=True),
    )
    # At most 100 handoffs, oldest first: one list, not pages.
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def queue(self, request):
        """Handoffs waiting for an agent, in the dialects this agent speaks."""
        dialects_ = selectors.agent_dialects(self.tenant, request.user)
        if request.query_params.get("all") == "1":
            dialects_ = None
        items = selectors.handoff_queue(self.tenant, dialects=dialects_)[:100]
        return Response(s.ConversationSerializer(items, many=True).data)

    @extend_schema(request=None, responses=s.ConversationDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        conversation = dialogue.conversation_accept(
            conversation=self.get_object(), agent=request.user
        )
        return Response(s.ConversationDetailSerializer(conversation).data)

    @extend_schema(request=s.MessageSerializer, responses={201: s.TurnSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        data = _valid(s.MessageSerializer, request)
        turn = dialogue.conversation_agent_reply(
            conversation=self.get_object(), agent=request.user, text=data["text"]
        )
        return Response(s.TurnSerializer(turn).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ConversationDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        conversation = dialogue.conversation_close(
            conversation=self.get_object(), user=request.user
        )
        return Response(s.ConversationDetailSerializer(conversation).data)

    @extend_schema(
        request=s.TicketFromConversationSerializer, responses={201: s.TicketDetailSerializer}
    )
    @action(detail=True, methods=["post"])
    def ticket(self, request, pk=None):
        """Confirm the pre-filled ticket (any field may be corrected)."""
        data = _valid(s.TicketFromConversationSerializer, request)
        ticket, _prefill = dialogue.ticket_from_conversation(
            conversation=self.get_object(), user=request.user, **data
        )
        return Response(
            s.TicketDetailSerializer(ticket, context={"masked": False}).data,
            status=status.HTTP_201_CREATED,
        )


# --- subscriber chat -----------------------------------------------------------------------


def _new_turns(conversation: Conversation, after: int) -> list[dict]:
    turns = Turn.objects.filter(conversation=conversation, seq__gt=after).order_by("seq")
    # many=True makes a ListSerializer, whose data is a list; the stubs keep the single
    # serializer's ReturnDict.
    return cast("list[dict]", s.SubscriberTurnSerializer(turns, many=True).data)


class ChatViewSet(TenantScopedMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The subscriber's own conversations with the assistant (text and push-to-talk voice)."""

    queryset = Conversation.objects.all()
    serializer_class = s.SubscriberConversationSerializer
    required_roles = SUBSCRIBERS
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def scope_queryset(self, queryset):
        return queryset.filter(subscriber=self.request.user)

    @extend_schema(request=s.StartSerializer, responses=s.SubscriberConversationSerializer)
    def create(self, request):
        data = _valid(s.StartSerializer, request)
        conversation = dialogue.conversation_start(
            tenant=self.tenant, channel=data["channel"], subscriber=request.user
        )
        return Response(
            s.SubscriberConversationSerializer(conversation).data, status=status.HTTP_201_CREATED
        )

    def _reply(self, conversation: Conversation, after: int, extra: dict | None = None):
        conversation.refresh_from_db()
        body = {
            "conversation": s.ConversationSerializer(conversation).data,
            "turns": _new_turns(conversation, after),
            # Where a handed-off conversation stands: position and estimated wait.
            "queue": subscriber_chat.queue_status(conversation),
            **(extra or {}),
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @staticmethod
    def _answered(reply) -> None:
        """A handoff is answered at once with the queue position and the estimated wait."""
        if reply.escalated:
            subscriber_chat.announce_queue_position(reply.conversation)

    @extend_schema(request=s.MessageSerializer, responses={201: dict})
    @action(detail=True, methods=["post"])
    def messages(self, request, pk=None):
        conversation = self.get_object()
        data = _valid(s.MessageSerializer, request)
        reply = dialogue.conversation_message(conversation=conversation, text=data["text"])
        self._answered(reply)
        return self._reply(conversation, reply.customer_turn.seq - 1)

    @extend_schema(request=s.VoiceSerializer, responses={201: dict})
    @action(detail=True, methods=["post"])
    def voice(self, request, pk=None):
        """A push-to-talk recording: transcribed through the gateway, then answered."""
        conversation = self.get_object()
        data = _valid(s.VoiceSerializer, request)
        upload = data["audio"]
        if upload.size > speech.upload_limit():
            raise ValidationError(
                {
                    "audio": _("The recording is larger than %(n)d MB.")
                    % {"n": speech.upload_limit() // 2**20}
                }
            )
        heard = speech.transcribe_clip(conversation, upload.read(), upload.name)
        if not heard["text"]:
            raise ValidationError(
                {"audio": _("No speech was heard in the recording; please try again.")}
            )
        reply = dialogue.conversation_message(
            conversation=conversation,
            text=heard["text"],
            language=heard["language"],
            asr_confidence=heard["confidence"],
            audio_seconds=heard["seconds"],
        )
        self._answered(reply)
        return self._reply(
            conversation,
            reply.customer_turn.seq - 1,
            {"transcript": heard["text"], "asr_engine": heard["engine"]},
        )

    @extend_schema(responses={(200, "audio/wav"): bytes})
    @action(detail=True, methods=["get"], url_path=r"speech/(?P<seq>\d+)")
    def speech(self, request, pk=None, seq=None):
        """The reply `seq` spoken in the caller's dialect voice where one exists (AI-labelled)."""
        conversation = self.get_object()
        turn = (
            Turn.objects.filter(conversation=conversation, seq=seq)
            .exclude(role=TurnRole.CUSTOMER)
            .first()
        )
        if turn is None:
            raise Http404
        payload, info = speech.synthesize_reply(conversation, turn.text)
        response = HttpResponse(payload, content_type="audio/wav")
        response["X-AIGC-Content-Id"] = info["content_id"]
        response["X-Suite-Engine"] = info["engine"]
        response["X-Suite-Fallback"] = "true" if info["fallback"] else "false"
        return response

    @extend_schema(request=None, responses=s.SubscriberConversationSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        conversation = dialogue.conversation_close(conversation=self.get_object())
        return Response(s.SubscriberConversationSerializer(conversation).data)

    @extend_schema(request=s.RateSerializer, responses=s.ConversationSerializer)
    @action(detail=True, methods=["post"])
    def survey(self, request, pk=None):
        data = _valid(s.RateSerializer, request)
        conversation = dialogue.conversation_rate(
            conversation=self.get_object(), score=data["score"], comment=data.get("comment", "")
        )
        return Response(s.ConversationSerializer(conversation).data)


class MyTicketViewSet(TenantReadOnlyViewSet):
    queryset = Ticket.objects.all()
    serializer_class = s.TicketSerializer
    required_roles = SUBSCRIBERS

    def scope_queryset(self, queryset):
        return queryset.filter(subscriber=self.request.user)


# --- tickets (staff) -----------------------------------------------------------------------


class TicketViewSet(TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):  # fmt: skip
    queryset = Ticket.objects.select_related("assignee")
    serializer_class = s.TicketSerializer
    required_roles = STAFF
    api_key_scope = "callcenter"
    filterset_fields = ["status", "type", "priority", "assignee", "call_id"]
    ordering_fields = ["created_at", "sla_due", "priority"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        return s.TicketDetailSerializer if self.action != "list" else s.TicketSerializer

    def get_serializer_context(self):
        # The list masks phone and address; one ticket's page shows them to the staff on it.
        return {**super().get_serializer_context(), "masked": self.action == "list"}

    def _detail(self, ticket, code=status.HTTP_200_OK):
        ticket.refresh_from_db()
        return Response(s.TicketDetailSerializer(ticket, context={"masked": False}).data, code)

    @extend_schema(request=s.TicketCreateSerializer, responses=s.TicketDetailSerializer)
    def create(self, request):
        data = _valid(s.TicketCreateSerializer, request)
        ticket = tickets.ticket_create(
            tenant=self.tenant,
            user=request.user if request.user.is_authenticated else None,
            **data,
        )
        return self._detail(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=s.AssignSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        ticket = self.get_object()
        data = _valid(s.AssignSerializer, request)
        assignee = None
        if data["assignee"] is not None:
            # Only members of this tenant can be found: another tenant's user reads as unknown.
            assignee = User.objects.filter(
                pk=data["assignee"], memberships__tenant=self.tenant
            ).first()
            if assignee is None:
                raise ValidationError({"assignee": _("No agent with this id in this tenant.")})
        return self._detail(tickets.ticket_assign(ticket=ticket, assignee=assignee,
                                                  user=request.user))  # fmt: skip

    @extend_schema(request=s.TransitionSerializer, responses=s.TicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        data = _valid(s.TransitionSerializer, request)
        ticket = tickets.ticket_transition(
            ticket=self.get_object(), status=data["status"], note=data.get("note", ""),
            user=request.user,
        )  # fmt: skip
        return self._detail(ticket)

    @extend_schema(request=s.CommentSerializer, responses={201: s.TicketDetailSerializer})
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        ticket = self.get_object()
        data = _valid(s.CommentSerializer, request)
        tickets.ticket_comment(ticket=ticket, text=data["text"], user=request.user)
        return self._detail(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=s.AttachmentUploadSerializer, responses={201: s.TicketDetailSerializer})
    @action(detail=True, methods=["post"])
    def attachments(self, request, pk=None):
        ticket = self.get_object()
        data = _valid(s.AttachmentUploadSerializer, request)
        upload = data["file"]
        tickets.ticket_attach(
            ticket=ticket, data=upload.read(tickets.MAX_ATTACHMENT_BYTES + 1), name=upload.name,
            shared_with_customer=data["shared_with_customer"], user=request.user,
        )  # fmt: skip
        return self._detail(ticket, status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        url_name="attachment",
    )
    def attachment(self, request, pk=None, attachment_id=None):
        """The attachment's file, as a download; another ticket's (or tenant's) is a 404."""
        ticket = self.get_object()
        item = selectors.ticket_attachment(ticket, int(attachment_id))
        if item is None:
            raise Http404
        return attachment_response(item)


class AnalyticsView(TenantAPIView):
    """Supervisor figures for the last `days` days (default 30)."""

    required_roles = EDITORS

    @extend_schema(responses=dict)
    def get(self, request):
        try:
            days = max(1, min(365, int(request.query_params.get("days", 30))))
        except ValueError:
            from rest_framework.exceptions import ValidationError

            raise ValidationError(
                {"days": _("days must be a whole number from 1 to 365.")}
            ) from None
        return Response(analytics.figures(self.tenant, days=days))
