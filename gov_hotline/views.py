"""Portal pages: agent intake, orders and dispatch, department queue, knowledge base,
hotspots and reports, catalogue and classifier. Views validate forms and call services."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from suite.ai import gateway
from suite.ai.errors import AiError
from suite.api.parsers import JsonBodyError, load_json
from suite.jobs.models import Job, JobStatus
from suite.jobs.selectors import jobs_for
from suite.jobs.services import job_enqueue
from suite.portal.access import staff_required
from suite.portal.charts import stacked_bar_chart
from suite.portal.forms import add_service_errors
from suite.telephony.selectors import call_get
from suite.tenancy.models import Membership, Role

from . import hotspots, intake, knowledge, selectors, services, training, visits
from .calls import PRODUCT, live_calls_state
from .drafting import active_classifier, draft_build
from .forms import (
    ArticleForm,
    CategoryForm,
    ConfirmForm,
    DispatchForm,
    DispatchRuleForm,
    DistrictForm,
    HolidayForm,
    IntakeForm,
    ReplyForm,
    ReportForm,
    SlaForm,
    VisitForm,
)
from .models import (
    Assignment,
    Category,
    ClassifierModel,
    Department,
    DispatchRule,
    District,
    ExtensionRequest,
    Holiday,
    HotspotAlert,
    OrderStatus,
    PolicyArticle,
    RecordingIntake,
    SlaRule,
    TrainingExample,
    Urgency,
    WorkOrder,
)
from .reports import PERIOD_LABELS
from .roles import ADMIN, AGENT, DISPATCH, HANDLER, STAFF

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _caller(request) -> gateway.Caller:
    return gateway.Caller(tenant=request.tenant, user=request.user, request=request)


def _messages_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for msgs in exc.message_dict.values() for m in msgs]
    return [str(m) for m in exc.messages]


def _fail(request, exc: ValidationError) -> None:
    for message in _messages_of(exc):
        messages.error(request, message)


@staff_required(roles=STAFF)
def home(request):
    tenant = request.tenant
    if request.roles & set(AGENT):
        orders = selectors.orders_for(tenant)
        filter_url = reverse("gov_hotline:orders")
    else:
        # A department handler's overview counts only orders assigned to their departments,
        # and each count links to their queue filtered by that status (the orders list is not
        # theirs to open).
        orders = selectors.handler_orders(tenant, request.user)
        filter_url = reverse("gov_hotline:queue")
    counts = {s: orders.filter(status=s).count() for s in OrderStatus.values}
    context = {
        "counts": [(OrderStatus(s).label, s, n) for s, n in counts.items()],
        "filter_url": filter_url,
        "overdue": orders.filter(
            escalated_at__isnull=False, status__in=["new", "dispatched", "in_progress", "returned"]
        ).count(),
        "alerts": HotspotAlert.objects.for_tenant(tenant).select_related("subcategory", "district")[
            :5
        ],
        "jobs": jobs_for(tenant=tenant, kind_prefix="gov_hotline.")[:10],
        "roles": request.roles,
    }
    return render(request, "gov_hotline/home.html", context)


# --- agent intake ----------------------------------------------------------------------------


FIELD_LABELS = {
    "request_type": _lazy("Request type"),
    "category": _lazy("Category"),
    "subcategory": _lazy("Subcategory"),
    "district": _lazy("District"),
    "address": _lazy("Address"),
    "summary": _lazy("Demand"),
    "urgency": _lazy("Urgency"),
    "contact_name": _lazy("Contact name"),
    "emergency_line": _lazy("Emergency line"),
}


def _field_rows(draft: dict) -> list[tuple[str, str, float, str]]:
    """(field, label, confidence, evidence) in the order the agent reads the form."""
    evidence = draft.get("evidence", {})
    confidence = draft.get("confidence", {})
    return [
        (key, str(label), confidence.get(key, 0.0), evidence.get(key, ""))
        for key, label in FIELD_LABELS.items()
        if key in confidence
    ]


def _confirm_form(request, data=None, initial=None) -> ConfirmForm:
    tenant = request.tenant
    return ConfirmForm(
        data,
        initial=initial,
        taxonomy=selectors.taxonomy(tenant),
        districts=list(District.objects.for_tenant(tenant).values_list("name", flat=True)),
    )


def _draft_page(request, form, text: str, transcript: list, draft: dict, intake=None, confirm=None):
    """The intake page with the filled draft to confirm; `confirm` is the agent's own submission
    when saving it failed (shown again with its errors, nothing the agent entered lost)."""
    if confirm is None:
        sub = f"{draft['category']}/{draft['subcategory']}" if draft.get("subcategory") else ""
        confirm = _confirm_form(
            request,
            initial={
                "text": text,
                "transcript": json.dumps(transcript, ensure_ascii=False),
                "draft": json.dumps(draft, ensure_ascii=False),
                "request_type": draft.get("request_type"),
                "subcategory": sub,
                "district": draft.get("district"),
                "address": draft.get("address"),
                "summary": draft.get("summary"),
                "urgency": draft.get("urgency"),
                "contact_name": (draft.get("contact") or {}).get("name"),
                "emergency_line": draft.get("emergency_line"),
            },
        )
    likely = selectors.draft_duplicates(
        request.tenant,
        text=text,
        district=draft.get("district", ""),
        address=draft.get("address", ""),
    )
    answer = None
    if draft.get("request_type") == "咨询":
        try:
            answer = knowledge.kb_answer(
                caller=_caller(request), question=draft.get("summary") or text
            )
        except (ValidationError, AiError):
            answer = None
    return render(
        request,
        "gov_hotline/intake.html",
        {
            "form": form,
            "confirm": confirm,
            "draft": draft,
            "field_rows": _field_rows(draft),
            "text": text,
            "answer": answer,
            "intake": intake,
            "duplicates": likely,
            "merge_into": request.POST.get("merge_into", "") if confirm.is_bound else "",
        },
    )


@staff_required(roles=AGENT)
def intake_page(request):
    form = IntakeForm()
    if request.method == "POST" and request.POST.get("step") == "draft":
        form = IntakeForm(request.POST, request.FILES)
        if form.is_valid():
            text = (form.cleaned_data["text"] or "").strip()
            try:
                if form.cleaned_data.get("recording"):
                    started = intake.recording_intake_start(
                        tenant=request.tenant,
                        upload=form.cleaned_data["recording"],
                        user=request.user,
                    )
                    return redirect("gov_hotline:intake_recording", pk=started.pk)
                draft = draft_build(caller=_caller(request), text=text)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except AiError as exc:
                form.add_error(None, str(exc))
            else:
                return _draft_page(request, form, text, [], draft)
        # The errors beside the fields, what was typed kept (a file input cannot be refilled).
        return render(request, "gov_hotline/intake.html", {"form": form, "confirm": None})
    if request.method == "POST" and request.POST.get("step") == "save":
        return _intake_save(request)
    return render(request, "gov_hotline/intake.html", {"form": form, "confirm": None})


def _intake_save(request):
    """Saves the confirmed draft; on any error the same draft page again, with the errors
    beside the fields and everything the agent chose kept (the recording or call it came from
    and the merge choice included)."""
    confirm = _confirm_form(request, request.POST)
    raw_intake = request.POST.get("intake", "")
    recorded = (
        RecordingIntake.objects.for_tenant(request.tenant).filter(pk=raw_intake).first()
        if raw_intake.isdigit()
        else None
    )
    draft = _json(request.POST.get("draft"), {})
    draft = draft if isinstance(draft, dict) else {}
    if confirm.is_valid():
        data = confirm.cleaned_data
        raw_main = request.POST.get("merge_into", "")
        main = (
            selectors.orders_for(request.tenant).filter(pk=raw_main).first()
            if raw_main.isdigit()
            else None
        )
        try:
            if raw_main and main is None:
                raise ValidationError(_("The order to merge into does not exist."))
            order = services.intake_confirm(
                tenant=request.tenant,
                text=data["text"],
                transcript=_json(data.get("transcript"), []),
                draft=draft,
                request_type=data["request_type"],
                subcategory=data["subcategory"],
                district=data["district"],
                address=data["address"],
                summary=data["summary"],
                urgency=data["urgency"],
                contact_name=data["contact_name"],
                emergency_line=data["emergency_line"],
                direct_answer=data["direct_answer"],
                intake=recorded,
                merge_into=main,
                user=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(confirm, exc)
        else:
            if main is not None:
                messages.success(
                    request,
                    _("Order %(n)s saved and merged into %(main)s.")
                    % {"n": order.number, "main": main.number},
                )
                return redirect("gov_hotline:order", pk=main.pk)
            messages.success(request, _("Order %(n)s saved.") % {"n": order.number})
            return redirect("gov_hotline:order", pk=order.pk)
    if any(confirm.has_error(name) for name in ("text", "transcript", "draft")):
        # The page's own hidden fields: nothing beside them to show an error.
        confirm.add_error(None, _("The citizen's text is missing: fill the order again."))
    transcript = _json(request.POST.get("transcript"), [])
    return _draft_page(
        request,
        IntakeForm(),
        request.POST.get("text", ""),
        transcript if isinstance(transcript, list) else [],
        draft,
        intake=recorded,
        confirm=confirm,
    )


@staff_required(roles=AGENT)
def intake_recording_page(request, pk: int):
    """A recording being transcribed: progress until its job finishes, then the draft."""
    started = get_object_or_404(
        RecordingIntake.objects.for_tenant(request.tenant).select_related("job"), pk=pk
    )
    job = started.job
    # A live call's intake has no job: its draft was filled while the call went on.
    if started.call_id is not None or (job is not None and job.status == JobStatus.SUCCEEDED):
        if started.draft:
            return _draft_page(
                request, IntakeForm(), started.text, started.transcript, started.draft, started
            )
        messages.error(request, _("No speech was heard in the recording; type what was said."))
        return redirect("gov_hotline:intake")
    return render(request, "gov_hotline/intake_recording.html", {"intake": started, "job": job})


def _json(raw, default):
    # The page's own hidden fields; a tampered one (too deep, invalid text) reads as absent.
    try:
        return load_json(raw) if raw else default
    except JsonBodyError:
        return default


# --- live calls (agent desk): the page; events arrive over ws-gov-hotline-agent ------------
DESK = (ADMIN, Role.HOTLINE_AGENT)


@staff_required(roles=DESK)
def live_calls_page(request):
    return render(
        request,
        "gov_hotline/live_calls.html",
        {"state": live_calls_state(tenant=request.tenant), "urgencies": Urgency.choices},
    )


@staff_required(roles=DESK)
def live_calls_state_view(request):
    """The state the page re-reads after a missed event or a reconnect; `?call=<id>` narrows it
    to one call (another tenant's id is a 404, like a missing one)."""
    call_id = request.GET.get("call", "")
    call = call_get(tenant=request.tenant, call_id=call_id, product=PRODUCT) if call_id else None
    if call_id and call is None:
        raise Http404
    return JsonResponse(live_calls_state(tenant=request.tenant, call=call))


# --- orders and dispatch -----------------------------------------------------------------


@staff_required(roles=AGENT)
def orders_page(request):
    tenant = request.tenant
    orders = selectors.orders_for(tenant)
    status = request.GET.get("status", "")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    page = Paginator(orders, 25).get_page(request.GET.get("page"))
    extensions = selectors.pending_extensions(tenant) if request.roles & set(DISPATCH) else []
    return render(
        request,
        "gov_hotline/orders.html",
        {
            "page": page,
            "status": status,
            "statuses": OrderStatus.choices,
            "extensions": extensions,
        },
    )


def _order_or_404(request, pk) -> WorkOrder:
    try:
        return selectors.order_get(request.tenant, pk)
    except (WorkOrder.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


@staff_required(roles=AGENT)
def order_page(request, pk):
    order = _order_or_404(request, pk)
    departments = Department.objects.for_tenant(request.tenant).filter(is_active=True)
    suggestions = selectors.dispatch_suggestions(order) if order.is_open else []
    lead = next((s for s in suggestions if s.role == "lead"), None)
    dispatch_form = DispatchForm(
        departments=departments,
        initial={
            "lead": str(lead.department.pk) if lead else "",
            "co": [str(s.department.pk) for s in suggestions if s.role == "co"],
        },
    )
    return render(
        request,
        "gov_hotline/order.html",
        {
            "order": order,
            "events": order.events.all(),
            "assignments": order.assignments.select_related("department"),
            "suggestions": suggestions,
            "duplicates": selectors.duplicate_candidates(order) if order.is_open else [],
            "dispatch_form": dispatch_form,
            "visit_form": VisitForm(),
            "visits": order.visits.all(),
            "can_dispatch": bool(request.roles & set(DISPATCH)),
            "draft": order.draft,
        },
    )


@require_POST
@staff_required(roles=AGENT)
def order_act(request, pk):
    order = _order_or_404(request, pk)
    action = request.POST.get("action", "")
    dispatcher = bool(request.roles & set(DISPATCH))
    user = request.user
    try:
        if action == "dispatch" and dispatcher:
            departments = Department.objects.for_tenant(request.tenant).filter(is_active=True)
            form = DispatchForm(request.POST, departments=departments)
            if not form.is_valid():
                raise ValidationError(_("Choose the lead department."))
            chosen = departments.in_bulk(
                [int(form.cleaned_data["lead"])] + [int(c) for c in form.cleaned_data["co"]]
            )
            reasons = {
                s.department.pk: "；".join(s.reasons) for s in selectors.dispatch_suggestions(order)
            }
            first = order.status == OrderStatus.NEW  # later ones reassign (the page says 改派)
            services.order_dispatch(
                order=order,
                lead=chosen[int(form.cleaned_data["lead"])],
                co=[chosen[int(c)] for c in form.cleaned_data["co"]],
                reasons=reasons,
                note=form.cleaned_data["note"],
                user=user,
            )
            messages.success(request, _("Order dispatched.") if first else _("Order reassigned."))
        elif action == "close" and dispatcher:
            services.order_close(order=order, user=user)
            messages.success(request, _("Order closed."))
        elif action == "send_back" and dispatcher:
            services.order_send_back(order=order, note=request.POST.get("note", ""), user=user)
            messages.success(request, _("Sent back to the department."))
        elif action == "merge" and dispatcher:
            ids = request.POST.getlist("duplicates")
            dups = list(
                selectors.orders_for(request.tenant).filter(pk__in=[i for i in ids if i.isdigit()])
            )
            services.order_merge(main=order, duplicates=dups, user=user)
            messages.success(request, _("%(n)d order(s) merged into this one.") % {"n": len(dups)})
        elif action == "transfer":
            services.order_transfer(order=order, line=request.POST.get("line", ""), user=user)
            messages.success(request, _("Transfer recorded."))
        elif action == "visit_script":
            # The agent asked for it and waits a few seconds: like the intake draft, in the
            # request, after every read and before one short write.
            visits.visit_script_write(caller=_caller(request), order=order)
            messages.success(request, _("Return-visit script written."))
        elif action == "visit":
            form = VisitForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose the citizen's satisfaction."))
            services.visit_record(order=order, user=user, **form.cleaned_data)
            messages.success(request, _("Return visit recorded."))
        else:
            raise Http404
    except ValidationError as exc:
        _fail(request, exc)
    return redirect("gov_hotline:order", pk=order.pk)


@require_POST
@staff_required(roles=DISPATCH)
def extension_decide(request, pk):
    extension = ExtensionRequest.objects.for_tenant(request.tenant).filter(pk=pk).first()
    if extension is None:
        raise Http404
    try:
        services.extension_decide(
            extension=extension,
            approve=request.POST.get("decision") == "approve",
            user=request.user,
        )
        messages.success(request, _("Extension decided."))
    except ValidationError as exc:
        _fail(request, exc)
    return redirect("gov_hotline:orders")


# --- department handlers -----------------------------------------------------------------


@staff_required(roles=HANDLER)
def queue_page(request):
    status = request.GET.get("status", "")
    if status not in OrderStatus.values:
        status = ""
    return render(
        request,
        "gov_hotline/queue.html",
        {
            "assignments": selectors.handler_queue(request.tenant, request.user, status),
            "departments": selectors.departments_of_user(request.tenant, request.user),
            "status": status,
            "statuses": OrderStatus.choices,
        },
    )


@staff_required(roles=HANDLER)
def assignment_page(request, pk):
    try:
        assignment = selectors.assignment_for_handler(request.tenant, request.user, pk)
    except Assignment.DoesNotExist as exc:
        raise Http404 from exc
    form = ReplyForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                services.assignment_accept(assignment=assignment, user=request.user)
                messages.success(request, _("Assignment accepted."))
            elif action == "return":
                services.assignment_return(
                    assignment=assignment,
                    objection=request.POST.get("objection", ""),
                    user=request.user,
                )
                messages.success(request, _("Returned to the dispatcher."))
                return redirect("gov_hotline:queue")
            elif action == "extend":
                days = request.POST.get("working_days", "")
                services.extension_request(
                    assignment=assignment,
                    working_days=int(days) if days.isdigit() else 0,
                    reason=request.POST.get("reason", ""),
                    user=request.user,
                )
                messages.success(request, _("Extension requested."))
            elif action == "reply":
                form = ReplyForm(request.POST, request.FILES)
                if not form.is_valid():
                    raise ValidationError(_("Write the result of the handling."))
                services.assignment_reply(
                    assignment=assignment,
                    reply=form.cleaned_data["reply"],
                    evidence=form.cleaned_data.get("evidence") or None,
                    user=request.user,
                )
                messages.success(request, _("Reply sent."))
                return redirect("gov_hotline:queue")
            else:
                raise Http404
            return redirect("gov_hotline:assignment", pk=assignment.pk)
        except ValidationError as exc:
            _fail(request, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
    return render(
        request,
        "gov_hotline/assignment.html",
        {"assignment": assignment, "order": assignment.order, "form": form},
    )


# --- knowledge base ------------------------------------------------------------------------


@staff_required(roles=AGENT)
def kb_page(request):
    answer = None
    question = request.GET.get("q", "").strip()
    form = ArticleForm()
    if question:
        try:
            answer = knowledge.kb_answer(caller=_caller(request), question=question)
        except ValidationError as exc:
            _fail(request, exc)
        except AiError as exc:
            messages.error(request, str(exc))
    is_admin = ADMIN in request.roles
    articles = PolicyArticle.objects.for_tenant(request.tenant)
    editing = None
    raw_edit = request.POST.get("article") or request.GET.get("edit") or ""
    if is_admin and raw_edit:
        # Another tenant's article is a 404, like a missing one.
        editing = get_object_or_404(articles, pk=raw_edit) if raw_edit.isdigit() else None
        if editing is None:
            raise Http404
        form = ArticleForm(
            initial={
                "title": editing.title,
                "question": editing.question,
                "answer": editing.answer,
                "source": editing.source,
            }
        )
    if request.method == "POST" and is_admin:
        if request.POST.get("action") == "delete" and editing is not None:
            try:
                knowledge.article_delete(caller=_caller(request), article=editing)
            except AiError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Article deleted."))
            return redirect("gov_hotline:kb")
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                knowledge.article_save(
                    caller=_caller(request), article=editing, **form.cleaned_data
                )
                messages.success(request, _("Article saved."))
                return redirect("gov_hotline:kb")
            except ValidationError as exc:
                _fail(request, exc)
            except AiError as exc:
                messages.error(request, str(exc))
    return render(
        request,
        "gov_hotline/kb.html",
        {
            "answer": answer,
            "question": question,
            "articles": articles,
            "form": form,
            "is_admin": is_admin,
            "editing": editing,
        },
    )


# --- hotspots and reports ------------------------------------------------------------------


@staff_required(roles=DISPATCH)
def hotspots_page(request):
    tenant = request.tenant
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            job_enqueue(
                tenant=tenant,
                kind="gov_hotline.report",
                task="gov_hotline.report",
                params=form.cleaned_data,
                created_by=request.user,
            )
            messages.success(
                request, _("The report is being generated; it appears below when ready.")
            )
            return redirect("gov_hotline:hotspots")
        messages.error(request, _("Choose a period and a format."))
    days, series = hotspots.daily_counts(tenant)
    chart = stacked_bar_chart(
        chart_id="gh-trend",
        title=_("Orders per day and category"),
        desc=_("Work orders created per day over the last 14 days, stacked by top-level category."),
        days=days,
        series=series,
    )
    return render(
        request,
        "gov_hotline/hotspots.html",
        {
            "chart": chart,
            "clusters": hotspots.clusters(tenant),
            "hotspot_map": hotspots.hotspot_map(tenant),
            "alerts": HotspotAlert.objects.for_tenant(tenant).select_related(
                "subcategory__parent", "district"
            )[:20],
            "reports": [
                (job, PERIOD_LABELS.get(job.params.get("period"), job.params.get("period", "")))
                for job in jobs_for(tenant=tenant, kind_prefix="gov_hotline.report")[:10]
            ],
            "form": ReportForm(),
        },
    )


@staff_required(roles=DISPATCH)
def report_download(request, job_id):
    from .tasks import report_path

    job = (
        Job.objects.for_tenant(request.tenant).filter(pk=job_id, kind="gov_hotline.report").first()
    )
    if job is None or job.status != JobStatus.SUCCEEDED:
        raise Http404
    path = report_path(job)
    if not path.exists():
        raise Http404
    fmt = job.params.get("format", "xlsx")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"12345-{job.params.get('period')}-{job.created_at:%Y%m%d}.{fmt}",
    )


# --- catalogue and classifier --------------------------------------------------------------


def _catalogue_add(request, tops) -> HttpResponse | CategoryForm:
    form = CategoryForm(request.POST, tops=tops)
    if not form.is_valid():
        return form  # shown again with its errors
    parent = tops.filter(pk=form.cleaned_data["parent"] or 0).first()
    services.category_create(tenant=request.tenant, name=form.cleaned_data["name"], parent=parent)
    messages.success(request, _("Category added."))
    return redirect("gov_hotline:catalogue")


def _catalogue_toggle(request, tops) -> HttpResponse:
    category = get_object_or_404(
        Category.objects.for_tenant(request.tenant), pk=request.POST.get("category") or 0
    )
    services.category_set_active(category=category, active=not category.is_active)
    return redirect("gov_hotline:catalogue")


def _catalogue_install(request, tops) -> HttpResponse:
    services.catalogue_install_defaults(tenant=request.tenant)
    training.examples_import_labelled(tenant=request.tenant)
    messages.success(request, _("Default catalogue and labelled examples installed."))
    return redirect("gov_hotline:catalogue")


def _form_action(form_class, save, invalid: StrOrPromise, done: StrOrPromise):
    """A catalogue form whose valid data goes straight to one service as keywords."""

    def handle(request, tops) -> HttpResponse:
        form = form_class(request.POST)
        if not form.is_valid():
            raise ValidationError(invalid)
        save(tenant=request.tenant, **form.cleaned_data)
        messages.success(request, done)
        return redirect("gov_hotline:catalogue")

    return handle


_catalogue_district = _form_action(
    DistrictForm,
    services.district_create,
    _lazy("A district name needs 1 to 40 characters."),
    _lazy("District added."),
)
_catalogue_holiday = _form_action(
    HolidayForm,
    services.holiday_set,
    _lazy("Give the date and name of the holiday."),
    _lazy("Holiday calendar updated."),
)
_catalogue_sla = _form_action(
    SlaForm,
    services.sla_rule_set,
    _lazy("Working days must be between 0 and 60."),
    _lazy("Deadline rule saved."),
)


def _catalogue_rule(request, tops) -> HttpResponse:
    tenant = request.tenant
    rule = _rule_form(request, request.POST)
    if not rule.is_valid():
        raise ValidationError(_("Choose a category, a department and a role."))
    data = rule.cleaned_data
    services.dispatch_rule_set(
        tenant=tenant,
        category=get_object_or_404(Category.objects.for_tenant(tenant), pk=data["subcategory"]),
        department=get_object_or_404(Department.objects.for_tenant(tenant), pk=data["department"]),
        district=get_object_or_404(District.objects.for_tenant(tenant), pk=data["district"])
        if data["district"]
        else None,
        role=data["role"],
    )
    messages.success(request, _("Dispatch rule saved."))
    return redirect("gov_hotline:catalogue")


def _catalogue_members(request, tops) -> HttpResponse:
    tenant = request.tenant
    department = get_object_or_404(
        Department.objects.for_tenant(tenant), pk=request.POST.get("department") or 0
    )
    # A person may hold several roles in the tenant: any of their memberships names them.
    membership = (
        Membership.objects.filter(tenant=tenant, user_id=request.POST.get("user") or 0)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise Http404
    services.department_member_set(
        department=department,
        user=membership.user,
        member=request.POST.get("action") == "member_add",
    )
    messages.success(request, _("Department members updated."))
    return redirect("gov_hotline:catalogue")


def _catalogue_train(request, tops) -> HttpResponse:
    training.classifier_train_start(tenant=request.tenant, user=request.user)
    messages.success(
        request, _("Training started as a job; the new version activates when it finishes.")
    )
    return redirect("gov_hotline:catalogue")


# The catalogue page's forms, by the `action` each posts.
CATALOGUE_ACTIONS = {
    "add": _catalogue_add,
    "toggle": _catalogue_toggle,
    "district": _catalogue_district,
    "install": _catalogue_install,
    "holiday": _catalogue_holiday,
    "sla": _catalogue_sla,
    "rule": _catalogue_rule,
    "member_add": _catalogue_members,
    "member_remove": _catalogue_members,
    "train": _catalogue_train,
}


@staff_required(roles=(ADMIN,))
def catalogue_page(request):
    tenant = request.tenant
    tops = Category.objects.for_tenant(tenant).filter(parent=None)
    form = CategoryForm(tops=tops)
    handler = CATALOGUE_ACTIONS.get(request.POST.get("action", ""))
    if request.method == "POST" and handler is not None:
        try:
            outcome = handler(request, tops)
        except ValidationError as exc:
            _fail(request, exc)
        else:
            if isinstance(outcome, HttpResponse):
                return outcome
            form = outcome
    return render(request, "gov_hotline/catalogue.html", _catalogue_context(request, form))


def _catalogue_context(request, form: CategoryForm) -> dict:
    tenant = request.tenant
    examples = TrainingExample.objects.for_tenant(tenant)
    return {
        "taxonomy": selectors.taxonomy(tenant, active_only=False),
        "form": form,
        "models": ClassifierModel.objects.for_tenant(tenant)[:10],
        "active": active_classifier(tenant),
        "example_counts": {
            "total": examples.count(),
            "corrections": examples.filter(source="correction").count(),
            "orders": examples.filter(source="order").count(),
        },
        "corrections": examples.filter(source="correction").select_related("subcategory__parent")[
            :20
        ],
        "jobs": jobs_for(tenant=tenant, kind_prefix="gov_hotline.train")[:5],
        "holiday_form": HolidayForm(),
        "district_form": DistrictForm(),
        "districts": District.objects.for_tenant(tenant),
        "holidays": Holiday.objects.for_tenant(tenant),
        "sla_form": SlaForm(),
        "sla_rules": SlaRule.objects.for_tenant(tenant).order_by("request_type", "urgency"),
        "rule_form": _rule_form(request),
        "departments": Department.objects.for_tenant(tenant).prefetch_related("members"),
        "handlers": [
            m.user
            for m in Membership.objects.filter(
                tenant=tenant, role=Role.DEPARTMENT_HANDLER
            ).select_related("user")
        ],
        "rules": DispatchRule.objects.for_tenant(tenant).select_related(
            "category__parent", "district", "department"
        ),
    }


def _rule_form(request, data=None) -> DispatchRuleForm:
    tenant = request.tenant
    return DispatchRuleForm(
        data,
        taxonomy=selectors.taxonomy(tenant),
        districts=District.objects.for_tenant(tenant),
        departments=Department.objects.for_tenant(tenant).filter(is_active=True),
    )
