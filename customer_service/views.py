"""Portal pages: the agent workspace, tickets, knowledge base, lexicon, supervisor analytics,
and the subscriber's mobile chat. Views parse the request and call services; nothing else."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from suite.accounts.models import User
from suite.ai import gateway
from suite.ai.errors import AiError
from suite.jobs.selectors import jobs_for
from suite.portal.access import staff_required, subscriber_required
from suite.privacy import mask_phone
from suite.telephony.selectors import call_get
from suite.tenancy.models import Role

from . import analytics, assist, selectors
from .calls import PRODUCT, live_call_state
from .downloads import attachment_response
from .models import (
    AgentSkill,
    ArticleStatus,
    ConversationStatus,
    Dialect,
    EscalationReason,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
    TicketType,
    TurnRole,
)
from .roles import EDITORS, STAFF
from .services import dialogue, lexicon, subscriber_chat, tickets
from .services import knowledge as kb
from .summary import call_prefill

staff = staff_required(roles=STAFF)
editors = staff_required(roles=EDITORS)


def _get(fn, *args):
    try:
        return fn(*args)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _error(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, getattr(exc, "message", str(exc)))


def _is_editor(request) -> bool:
    return bool(getattr(request, "roles", set()) & {str(r) for r in EDITORS})


# --- workspace -----------------------------------------------------------------------------


@staff
def home(request):
    tenant = request.tenant
    dialects = selectors.agent_dialects(tenant, request.user)
    context = {
        "queue_count": selectors.handoff_queue(tenant, dialects=dialects).count(),
        "mine": selectors.conversations(tenant)
        .filter(status=ConversationStatus.AGENT, agent=request.user)
        .order_by("-created_at")[:10],
        "open_tickets": selectors.tickets(tenant)
        .exclude(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
        .count(),
        "articles": selectors.articles(tenant, status=ArticleStatus.PUBLISHED).count(),
        "skills": dialects,
        "is_editor": _is_editor(request),
        # Knowledge-index rebuilds and other background work of this module.
        "jobs": jobs_for(tenant=tenant, kind_prefix="customer_service.")[:10],
    }
    return render(request, "customer_service/home.html", context)


@staff
def queue(request):
    tenant = request.tenant
    skills = selectors.agent_dialects(tenant, request.user)
    show_all = request.GET.get("all") == "1" and _is_editor(request)
    items = selectors.handoff_queue_waits(tenant, dialects=None if show_all else skills)
    return render(
        request,
        "customer_service/queue.html",
        {
            "items": items,
            "skills": skills,
            "show_all": show_all,
            "long_wait_s": selectors.LONG_WAIT_S,
        },
    )


@staff
def conversation(request, pk: int):
    tenant = request.tenant
    conv = _get(selectors.conversation_get, tenant, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                dialogue.conversation_accept(conversation=conv, agent=request.user)
            elif action == "reply":
                dialogue.conversation_agent_reply(
                    conversation=conv, agent=request.user, text=request.POST.get("text", "")
                )
            elif action == "close":
                dialogue.conversation_close(conversation=conv, user=request.user)
                messages.success(request, _("The conversation is closed; check the ticket below."))
            elif action == "ticket":
                ticket, _prefill = dialogue.ticket_from_conversation(
                    conversation=conv,
                    user=request.user,
                    type=request.POST.get("type"),
                    priority=request.POST.get("priority"),
                    category=request.POST.get("category", ""),
                    summary=request.POST.get("summary", ""),
                    phone=request.POST.get("phone", ""),
                    address=request.POST.get("address", ""),
                )
                messages.success(request, _("Ticket %(n)s created.") % {"n": ticket.number})
                return redirect("customer_service:ticket", pk=ticket.pk)
            else:
                raise ValidationError(_("Unknown action."))
        except (ValidationError, AiError) as exc:
            _error(request, exc)
        return redirect("customer_service:conversation", pk=conv.pk)
    turns = list(selectors.turns(conv))
    last_customer = next((t for t in reversed(turns) if t.role == TurnRole.CUSTOMER), None)
    history = [t.normalized_text or t.text for t in turns if t.role == TurnRole.CUSTOMER][:-1]
    suggestion = None
    # The transcript's own refresh (htmx polling) swaps only the transcript: no assist call, so
    # an open page does not cost a metered embedding every few seconds.
    if last_customer and conv.status != ConversationStatus.CLOSED and not request.htmx:
        suggestion = assist.assist_utterance(
            tenant=tenant, text=last_customer.text, history=history[-3:]
        )
    prefill = (conv.state or {}).get("prefill") or {}
    previous = selectors.tickets(tenant).filter(phone=conv.phone).exclude(phone="")
    context = {
        "conv": conv,
        "turns": turns,
        "suggestion": suggestion,
        "can_generate": gateway.language_model_configured(tenant),
        "prefill": prefill,
        "masked_phone": mask_phone(conv.phone),
        "previous_tickets": previous[:5],
        "ticket_types": TicketType.choices,
        "priorities": TicketPriority.choices,
        "linked_tickets": conv.tickets.all(),
    }
    return render(request, "customer_service/conversation.html", context)


@staff
def conversation_suggest(request, pk: int):
    """The agent's "AI suggested replies" button: the model's replies for the conversation so
    far, then the templates (an htmx fragment that replaces the suggestion list)."""
    conv = _get(selectors.conversation_get, request.tenant, pk)
    if request.method != "POST":
        return redirect("customer_service:conversation", pk=conv.pk)
    try:
        result = assist.conversation_replies(conversation=conv, user=request.user)
    except ValidationError as exc:
        return render(
            request,
            "customer_service/_assist_replies.html",
            {"conv": conv, "error": " ".join(exc.messages)},
            status=400,
        )
    return render(
        request,
        "customer_service/_assist_replies.html",
        {"conv": conv, "replies": result["replies"], "result": result, "asked": True},
    )


# --- tickets -------------------------------------------------------------------------------


@staff
def ticket_list(request):
    qs = selectors.tickets(request.tenant)
    status = request.GET.get("status", "")
    if status in TicketStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "customer_service/tickets.html",
        {"page": page, "status": status, "statuses": TicketStatus.choices},
    )


@staff
def ticket(request, pk: int):
    tenant = request.tenant
    item = _get(selectors.ticket_get, tenant, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "transition":
                tickets.ticket_transition(
                    ticket=item,
                    status=request.POST.get("status", ""),
                    note=request.POST.get("note", ""),
                    user=request.user,
                )
            elif action == "comment":
                tickets.ticket_comment(
                    ticket=item, text=request.POST.get("text", ""), user=request.user
                )
            elif action == "assign":
                assignee = None
                if request.POST.get("assignee"):
                    assignee = User.objects.filter(
                        pk=request.POST["assignee"], memberships__tenant=tenant
                    ).first()
                    if assignee is None:
                        raise ValidationError(_("No agent with this id in this tenant."))
                tickets.ticket_assign(ticket=item, assignee=assignee, user=request.user)
            elif action == "attach":
                upload = request.FILES.get("file")
                if upload is None:
                    raise ValidationError(_("Choose a file to attach."))
                tickets.ticket_attach(
                    ticket=item,
                    data=upload.read(tickets.MAX_ATTACHMENT_BYTES + 1),
                    name=upload.name,
                    shared_with_customer=request.POST.get("shared_with_customer") == "on",
                    user=request.user,
                )
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            _error(request, exc)
        return redirect("customer_service:ticket", pk=item.pk)
    agents = (
        User.objects.filter(
            memberships__tenant=tenant, memberships__role__in=[Role.CS_AGENT, Role.CS_SUPERVISOR]
        )
        .distinct()
        .order_by("username")
    )
    return render(
        request,
        "customer_service/ticket.html",
        {
            "ticket": item,
            "events": item.events.select_related("actor"),
            "attachments": item.attachments.all(),
            "next_statuses": [(s, TicketStatus(s).label) for s in tickets.TRANSITIONS[item.status]],
            "agents": agents,
        },
    )


# --- knowledge base ------------------------------------------------------------------------


@staff
def knowledge(request):
    tenant = request.tenant
    if request.method == "POST":
        if not _is_editor(request):
            raise Http404
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError(_("Choose a file to import."))
            result = kb.articles_import(
                tenant=tenant,
                data=upload.read(kb.MAX_IMPORT_BYTES + 1),
                fmt=request.POST.get("format", ""),
                category=request.POST.get("category", ""),
                publish=request.POST.get("publish") == "on",
                user=request.user,
            )
            messages.success(
                request,
                _("%(n)d articles imported.") % {"n": len(result.created)},
            )
            for error in result.errors:
                messages.warning(request, error)
        except ValidationError as exc:
            _error(request, exc)
        return redirect("customer_service:knowledge")
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    qs = selectors.articles(
        tenant, status=status if status in ArticleStatus.values else None, q=q[:100]
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "customer_service/knowledge.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "statuses": ArticleStatus.choices,
            "is_editor": _is_editor(request),
            "index_job": selectors.kb_index_job_to_show(tenant),
        },
    )


class _ArticleFields(TypedDict):
    """What the article form saves, as `article_create` and `article_update` take it."""

    title: str
    body: str
    category: str
    status: str
    tags: NotRequired[list[str]]  # set inside the try: tags_parse may refuse what was typed


@staff
def article(request, pk: int | None = None):
    """An article: the editors' form, or for the other staff roles (agents) the article to
    read, as the knowledge base and the sources cited in chats link to it."""
    tenant = request.tenant
    item = _get(selectors.article_get, tenant, pk) if pk else None
    if not _is_editor(request):
        if item is None or request.method not in ("GET", "HEAD"):
            raise Http404
        return render(request, "customer_service/article.html", {"article": item})
    if request.method == "POST" and item is not None and request.POST.get("action") == "rollback":
        try:
            kb.article_rollback(
                article=item, version=request.POST.get("version"), user=request.user
            )
            messages.success(
                request,
                _("Version %(old)s restored as version %(new)d.")
                % {"old": request.POST.get("version"), "new": item.version},
            )
        except ValidationError as exc:
            _error(request, exc)
        return redirect("customer_service:article", pk=item.pk)
    # What the form shows: the article, or after a refused save what the editor typed.
    form = {
        "title": item.title if item else "",
        "body": item.body if item else "",
        "category": item.category.name if item and item.category else "",
        "tags": "，".join(item.tags or []) if item else "",
        "status": item.status if item else ArticleStatus.DRAFT,
    }
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in form}
        fields: _ArticleFields = {
            "title": form["title"],
            "body": form["body"],
            "category": form["category"],
            "status": form["status"] or ArticleStatus.DRAFT,
        }
        try:
            fields["tags"] = kb.tags_parse(form["tags"])
            if item is None:
                item = kb.article_create(tenant=tenant, user=request.user, **fields)
            else:
                kb.article_update(article=item, user=request.user, **fields)
            messages.success(request, _("Saved (version %(v)d).") % {"v": item.version})
            return redirect("customer_service:article", pk=item.pk)
        except ValidationError as exc:
            _error(request, exc)
    return render(
        request,
        "customer_service/article.html",
        {
            "article": item,
            "form": form,
            "can_edit": True,
            "versions": item.versions.all()[:10] if item else [],
            "statuses": ArticleStatus.choices,
            "categories": selectors.categories(tenant),
        },
    )


@editors
def categories_page(request):
    tenant = request.tenant
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                kb.category_create(
                    tenant=tenant,
                    name=request.POST.get("name", ""),
                    order=request.POST.get("order") or 0,
                    user=request.user,
                )
                messages.success(request, _("Category added."))
            elif action in ("update", "delete"):
                category = (
                    selectors.categories(tenant).filter(pk=_int(request.POST.get("id"))).first()
                )
                if category is None:
                    raise Http404
                if action == "update":
                    kb.category_update(
                        category=category,
                        name=request.POST.get("name", ""),
                        order=request.POST.get("order") or 0,
                        user=request.user,
                    )
                    messages.success(request, _("Category saved."))
                else:
                    moved = kb.category_delete(category=category, user=request.user)
                    messages.success(
                        request,
                        _("Category deleted; %(n)d articles are now uncategorised.") % {"n": moved},
                    )
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            _error(request, exc)
        return redirect("customer_service:categories")
    items = selectors.categories(tenant).annotate(n_articles=Count("articles"))
    return render(request, "customer_service/categories.html", {"items": items})


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- lexicon -------------------------------------------------------------------------------


@editors
def lexicon_page(request):
    tenant = request.tenant
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                entry = (
                    selectors.lexicon_entries(tenant)
                    .filter(pk=int(request.POST.get("id") or 0))
                    .first()
                )
                if entry is None:
                    raise Http404
                lexicon.lexicon_entry_delete(entry=entry)
            else:
                lexicon.lexicon_entry_create(
                    tenant=tenant,
                    dialect=request.POST.get("dialect", ""),
                    term=request.POST.get("term", ""),
                    mandarin=request.POST.get("mandarin", ""),
                )
        except ValidationError as exc:
            _error(request, exc)
        except ValueError:
            messages.error(request, _("Unknown entry."))
        return redirect("customer_service:lexicon")
    return render(
        request,
        "customer_service/lexicon.html",
        {
            "entries": selectors.lexicon_entries(tenant),
            "dialects": [d for d in Dialect.choices if d[0] != Dialect.MANDARIN],
        },
    )


@editors
def skills_page(request):
    """Which dialects each agent serves (the handoff queue is filtered by them)."""
    tenant = request.tenant
    agents = (
        User.objects.filter(
            memberships__tenant=tenant, memberships__role__in=[Role.CS_AGENT, Role.CS_SUPERVISOR]
        )
        .distinct()
        .order_by("username")
    )
    if request.method == "POST":
        raw = request.POST.get("user") or ""
        user = agents.filter(pk=int(raw)).first() if raw.isdigit() else None
        if user is None:
            raise Http404
        try:
            lexicon.agent_skill_set(
                tenant=tenant, user=user, dialects=request.POST.getlist("dialects")
            )
            messages.success(request, _("Dialect skills of %(name)s saved.") % {"name": user})
        except ValidationError as exc:
            _error(request, exc)
        return redirect("customer_service:skills")
    skills = {s.user_id: s.dialects for s in AgentSkill.objects.for_tenant(tenant)}
    return render(
        request,
        "customer_service/skills.html",
        {
            "rows": [(agent, skills.get(agent.pk)) for agent in agents],
            "dialects": Dialect.choices,
        },
    )


# --- analytics -----------------------------------------------------------------------------


def chart_labels() -> dict:
    return {
        "volume": gettext_lazy("Conversations per day"),
        "volume_desc": gettext_lazy("Conversations per day by channel."),
        "containment": gettext_lazy("Containment per day"),
        "containment_desc": gettext_lazy("Share of conversations resolved without an agent."),
        "reasons": gettext_lazy("Handoff reasons"),
        "dialects": gettext_lazy("Dialects"),
        "channels": {
            "chat": pgettext_lazy("channel", "Chat"),
            "voice": gettext_lazy("Voice"),
            "call": gettext_lazy("Phone calls"),
        },
        "reason_names": dict(EscalationReason.choices),
        "dialect_names": dict(Dialect.choices),
    }


@editors
def analytics_page(request):
    tenant = request.tenant
    if request.method == "POST":
        try:
            article = dialogue.article_draft_from_question(
                tenant=tenant, question=request.POST.get("question", ""), user=request.user
            )
        except ValidationError as exc:
            _error(request, exc)
            return redirect("customer_service:analytics")
        messages.success(request, _("Draft article created; write the answer and publish it."))
        return redirect("customer_service:article", pk=article.pk)
    try:
        days = max(1, min(90, int(request.GET.get("days", 14))))
    except ValueError:
        days = 14
    data = analytics.figures(tenant, days=days)
    return render(
        request,
        "customer_service/analytics.html",
        {
            "data": data,
            "charts": analytics.charts(data, chart_labels()),
            "days": days,
        },
    )


# --- subscriber (mobile) -------------------------------------------------------------------


CHAT_POLL_S = 5


@subscriber_required
def m_chat(request):
    """The subscriber's chat. Its open conversation (a handoff still waiting or with an agent,
    say) is resumed, not replaced by a blank one; agent replies arrive over the chat socket,
    and the page polls every CHAT_POLL_S seconds only while the socket is down (and says so)."""
    return render(
        request,
        "customer_service/m_chat.html",
        {
            "api_start": reverse("api:cs-chat-list"),
            # Leaving and coming back resumes the conversation that has not ended.
            "resume": subscriber_chat.open_chat(request.tenant, request.user),
            "poll_s": CHAT_POLL_S,
        },
    )


@staff
def ticket_attachment(request, pk: int, attachment_id: int):
    item = selectors.ticket_attachment(
        _get(selectors.ticket_get, request.tenant, pk), attachment_id
    )
    if item is None:
        raise Http404
    return attachment_response(item)


def overdue_label() -> str:
    """A ticket past its due time, in the subscriber's words (the SLA check has alerted the
    agents, so it is being hurried)."""
    return _("Overdue: we are speeding it up")


@subscriber_required
def m_ticket(request, pk: int):
    """One of the subscriber's own tickets: status, history and attachments. Another
    subscriber's ticket is a 404, exactly like a missing one."""
    item = _get(selectors.subscriber_ticket, request.tenant, request.user, pk)
    # Status changes and the like only: comments are the agents' working notes, and internal
    # files are named in attachment events (the shared ones are listed below).
    events = list(
        item.events.exclude(kind__in=[TicketEventKind.COMMENT, TicketEventKind.ATTACHMENT])
    )
    names = dict(TicketStatus.choices)
    for event in events:
        event.to_status_label = names.get(event.to_status, event.to_status)
        # "已超时（SLA）" is the agents' word; the subscriber reads what it means for them.
        if event.kind == TicketEventKind.SLA_BREACH:
            event.subscriber_label = overdue_label()
    return render(
        request,
        "customer_service/m_ticket.html",
        {
            "ticket": item,
            "events": events,
            "attachments": selectors.ticket_attachments(item, customer=True),
        },
    )


@subscriber_required
def m_ticket_attachment(request, pk: int, attachment_id: int):
    ticket = _get(selectors.subscriber_ticket, request.tenant, request.user, pk)
    item = selectors.ticket_attachment(ticket, attachment_id, customer=True)
    if item is None:
        raise Http404
    return attachment_response(item)


@subscriber_required
def m_tickets(request):
    items = selectors.subscriber_tickets(request.tenant, request.user)[:50]
    return render(request, "customer_service/m_tickets.html", {"items": items})


# --- after a call: summary and the pre-filled ticket -----------------------------------------


@staff
def call_ticket(request, call_id):
    """The after-call summary and a pre-filled ticket for the agent to confirm (or correct)."""
    tenant = request.tenant
    call = call_get(tenant=tenant, call_id=call_id, product=PRODUCT)
    if call is None:
        raise Http404
    prefill = call_prefill(call)
    if request.method == "POST":
        try:
            ticket = tickets.ticket_create(
                tenant=tenant,
                type=request.POST.get("type", ""),
                priority=request.POST.get("priority", "normal"),
                category=request.POST.get("category", ""),
                summary=request.POST.get("summary", ""),
                phone=request.POST.get("phone", ""),
                address=request.POST.get("address", ""),
                call_id=str(call.id),
                dialect=prefill["ticket"].get("dialect", call.dialect or "mandarin"),
                user=request.user,
            )
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Ticket %(n)s created.") % {"n": ticket.number})
            return redirect("customer_service:ticket", pk=ticket.pk)
    return render(
        request,
        "customer_service/call_ticket.html",
        {
            "call": call,
            "masked_phone": mask_phone(call.caller_number),
            "summary": prefill["summary"],
            "summary_model": prefill.get("model", ""),
            "prefill": prefill["ticket"],
            "ticket_types": TicketType.choices,
            "priorities": TicketPriority.choices,
            "linked": selectors.tickets(tenant).filter(call_id=str(call.id)),
        },
    )


# --- Live call (agent workspace): the page; events arrive over ws-cs-agent -----------------
@staff_required(roles=(Role.TENANT_ADMIN, Role.CS_AGENT, Role.CS_SUPERVISOR))
def live_call(request):
    """`?call=<id>` picks a call (another tenant's id is a 404, like a missing one);
    `&format=json` returns the state the page re-reads after a missed event."""
    call_id = request.GET.get("call", "")
    call = call_get(tenant=request.tenant, call_id=call_id, product=PRODUCT) if call_id else None
    if call_id and call is None:
        raise Http404
    state = live_call_state(tenant=request.tenant, call=call)
    if request.GET.get("format") == "json":
        return JsonResponse(state)
    return render(request, "customer_service/live_call.html", {"state": state})
