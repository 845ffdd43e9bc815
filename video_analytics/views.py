"""Portal pages for video analysts: thin, forms in, services for writes, selectors for reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from suite.api.parsers import JsonBodyError, load_json
from suite.errors import InvalidInput
from suite.jobs.selectors import jobs_for
from suite.portal.access import staff_required
from suite.portal.charts import stacked_bar_chart
from suite.portal.forms import add_service_errors

from . import search_query, selectors, services, storage
from .forms import (
    CameraForm,
    RetentionForm,
    RuleForm,
    UploadForm,
    WebhookForm,
)
from .models import EventStatus, RetentionPolicy, Rule, RuleKind, Severity, Zone, ZoneKind
from .roles import ADMINS, ANALYSTS
from .scene_tags import scene_tag_label

analyst = staff_required(roles=ANALYSTS)
admin = staff_required(roles=ADMINS)


@analyst
def home(request):
    cameras = list(selectors.cameras_for(tenant=request.tenant))
    camera_map = selectors.camera_map(tenant=request.tenant, cameras=cameras)
    return render(
        request,
        "video_analytics/home.html",
        {
            "cameras": cameras,
            "camera_map": camera_map,
            "unplaced": [c for c in cameras if c.latitude is None or c.longitude is None],
            "events": selectors.latest_events(tenant=request.tenant, limit=10),
            "storage": selectors.storage_used(tenant=request.tenant),
            "jobs": jobs_for(tenant=request.tenant, kind_prefix="video_analytics.")[:10],
        },
    )


@analyst
def camera_create(request):
    form = CameraForm(request.POST or None, people_models=services.people_models(request.tenant))
    if request.method == "POST" and form.is_valid():
        try:
            camera = services.camera_create(
                tenant=request.tenant, actor=request.user, **form.values()
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Camera %(name)s added.") % {"name": camera.name})
            return redirect("video_analytics:camera_detail", camera.pk)
    return render(request, "video_analytics/camera_form.html", {"form": form})


@analyst
def camera_edit(request, pk: int):
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    initial = {
        "name": camera.name,
        "source_kind": camera.source_kind,
        "location": camera.location,
        "latitude": camera.latitude,
        "longitude": camera.longitude,
        "group": camera.group,
        "tags": ", ".join(camera.tags),
        "sample_fps": camera.sample_fps,
        "stages": camera.stages or ["motion", "people", "tampering", "scene"],
        "people_model": camera.people_model,
    }
    form = CameraForm(
        request.POST or None, initial=initial, people_models=services.people_models(request.tenant)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.camera_update(camera=camera, actor=request.user, **form.values())
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Camera saved."))
            return redirect("video_analytics:camera_detail", camera.pk)
    return render(request, "video_analytics/camera_form.html", {"form": form, "camera": camera})


def _camera_page(request, camera, *, rule_form=None, upload_form=None, status=200):
    zones = list(camera.zones.all())
    retention = selectors.retention_for(camera)
    return render(
        request,
        "video_analytics/camera_detail.html",
        {
            "camera": camera,
            "page_url": reverse("video_analytics:camera_detail", args=[camera.pk]),
            "zones": zones,
            "zones_json": [
                {"id": z.pk, "name": z.name, "kind": z.kind, "points": z.points} for z in zones
            ],
            "rules": camera.rules.select_related("zone"),
            "rule_form": rule_form or RuleForm(zones=zones),
            "upload_form": upload_form or UploadForm(),
            "analyses": selectors.analyses_for(tenant=request.tenant, camera=camera)[:10],
            "events": camera.events.select_related("zone")[:10],
            "retention": retention,
            "retention_form": RetentionForm(
                initial={
                    "event_days": retention.event_days,
                    "media_days": retention.media_days,
                    "keyframe_only": retention.keyframe_only,
                }
            ),
        },
        status=status,
    )


@analyst
def camera_detail(request, pk: int):
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    return _camera_page(request, camera)


@analyst
def camera_snapshot(request, pk: int):
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    if not camera.snapshot or not storage.absolute(camera.snapshot).exists():
        raise Http404
    return FileResponse(storage.absolute(camera.snapshot).open("rb"), content_type="image/jpeg")


@admin
@require_POST
def camera_retention(request, pk: int):
    """The camera's own retention policy (over the tenant's), from the camera page."""
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    form = RetentionForm(request.POST)
    if form.is_valid():
        try:
            services.retention_set(
                tenant=request.tenant, camera=camera, actor=request.user, **form.cleaned_data
            )
        except InvalidInput as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Retention policy saved."))
    else:
        messages.error(request, _("Check the retention days."))
    return redirect("video_analytics:camera_detail", camera.pk)


@analyst
@require_POST
def camera_watch(request, pk: int):
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    try:
        services.camera_watch_start(camera=camera)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Watching the stream for 30 seconds on the analysis queue."))
    return redirect("video_analytics:camera_detail", camera.pk)


@analyst
@require_POST
def zone_save(request, pk: int):
    """JSON from the zone editor: {"id"?, "name", "kind", "points": [[x, y], ...]}."""
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    try:
        body = load_json(request.body or b"{}")
    except JsonBodyError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    if not isinstance(body, dict):
        return JsonResponse({"error": _("The request body must be a JSON object.")}, status=400)
    if body.get("id") is not None and (type(body["id"]) is not int or body["id"] < 1):
        message = _("id must be a positive integer.")
        return JsonResponse({"error": message, "field": "id"}, status=400)
    zone = None
    if body.get("id"):
        zone = Zone.objects.for_tenant(request.tenant).filter(camera=camera, pk=body["id"]).first()
        if zone is None:
            raise Http404
    try:
        zone = services.zone_save(
            camera=camera,
            zone=zone,
            actor=request.user,
            name=str(body.get("name", "")),
            kind=str(body.get("kind", ZoneKind.AREA)),
            points=body.get("points"),
        )
    except InvalidInput as exc:
        return JsonResponse({"error": exc.message, "field": exc.param}, status=400)
    return JsonResponse(
        {"id": zone.pk, "name": zone.name, "kind": zone.kind, "points": zone.points}
    )


@analyst
@require_POST
def zone_delete(request, pk: int, zone_id: int):
    return _camera_part_delete(
        request,
        pk=pk,
        model=Zone,
        part_id=zone_id,
        delete=lambda zone: services.zone_delete(zone=zone, actor=request.user),
        message=_("Zone deleted."),
    )


@analyst
@require_POST
def rule_create(request, pk: int):
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    zones = list(camera.zones.all())
    form = RuleForm(request.POST, zones=zones)
    if form.is_valid():
        zone = next((z for z in zones if z.pk == form.cleaned_data["zone"]), None)
        try:
            services.rule_save(camera=camera, zone=zone, actor=request.user, **form.values())
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rule added."))
            return redirect("video_analytics:camera_detail", camera.pk)
    return _camera_page(request, camera, rule_form=form, status=400)


@analyst
def rule_edit(request, pk: int, rule_id: int):
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    rule = Rule.objects.for_tenant(request.tenant).filter(camera=camera, pk=rule_id).first()
    if rule is None:
        raise Http404
    zones = list(camera.zones.all())
    form = RuleForm(request.POST or None, zones=zones, rule=rule)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            zone = next((z for z in zones if z.pk == form.cleaned_data["zone"]), None)
            try:
                services.rule_save(
                    camera=camera, zone=zone, rule=rule, actor=request.user, **form.values()
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Rule saved."))
                return redirect("video_analytics:camera_detail", camera.pk)
    return render(
        request,
        "video_analytics/rule_form.html",
        {"camera": camera, "rule": rule, "form": form},
        status=status,
    )


@analyst
@require_POST
def rule_delete(request, pk: int, rule_id: int):
    return _camera_part_delete(
        request,
        pk=pk,
        model=Rule,
        part_id=rule_id,
        delete=lambda rule: services.rule_delete(rule=rule, actor=request.user),
        message=_("Rule deleted."),
    )


def _camera_part_delete(
    request,
    *,
    pk: int,
    model: type[Zone] | type[Rule],
    part_id: int,
    delete: Callable[[Any], None],
    message: str,
) -> HttpResponse:
    """Deletes a zone or rule through `delete`; one of another camera or tenant is a 404,
    like a missing one."""
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    part = model.objects.for_tenant(request.tenant).filter(camera=camera, pk=part_id).first()
    if part is None:
        raise Http404
    delete(part)
    messages.success(request, message)
    return redirect("video_analytics:camera_detail", camera.pk)


@analyst
@require_POST
def clip_upload(request, pk: int):
    camera = selectors.camera_get(tenant=request.tenant, pk=pk)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.clip_analysis_start(
                camera=camera,
                upload=form.cleaned_data["file"],
                sample_fps=form.cleaned_data.get("sample_fps"),
                created_by=request.user,
            )
        except InvalidInput as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The clip is queued for analysis; progress shows on the Jobs page and below."),
            )
            return redirect("video_analytics:camera_detail", camera.pk)
    return _camera_page(request, camera, upload_form=form, status=400)


def _filters(request) -> selectors.EventFilters:
    g = request.GET

    def number(key):
        value = g.get(key, "")
        return int(value) if value.isdigit() else None

    def moment(key, end=False):
        # the form sends YYYY-MM-DDTHH:MM (an interpreted question's hours); a bare date is
        # that whole day
        value = (g.get(key, "") or "").strip()
        at = parse_datetime(value) if "T" in value else None
        if at is not None:
            return at if timezone.is_aware(at) else timezone.make_aware(at)
        day = parse_date(value) if len(value) == 10 else None
        if day is None:
            return None
        if end:
            day += timedelta(days=1)
        return timezone.make_aware(datetime.combine(day, time.min))

    return selectors.EventFilters(
        camera=number("camera"),
        zone=number("zone"),
        kind=g.get("kind", "") if g.get("kind") in RuleKind.values else "",
        severity=g.get("severity", "") if g.get("severity") in Severity.values else "",
        status=g.get("status", "") if g.get("status") in EventStatus.values else "",
        since=moment("since"),
        until=moment("until", end=True),
        q=g.get("q", "").strip()[:100],
    )


@analyst
def events(request):
    """The filter form, and above it one sentence ("昨天晚上大堂有人逗留吗") read as filters that
    are shown, filled into the form, before their results."""
    interpretation = question_error = None
    question = request.GET.get("question")
    filters = _filters(request)
    if question is not None:
        try:
            interpretation = search_query.filters_from_question(
                tenant=request.tenant, question=question, user=request.user
            )
        except InvalidInput as exc:
            question_error = exc.message
        else:
            filters = interpretation.filters
    found = selectors.events_search(tenant=request.tenant, filters=filters)
    page = Paginator(found, 25).get_page(request.GET.get("page"))
    params = search_query.filters_params(filters)
    chips = []
    if interpretation is not None:
        for chip in search_query.understood(tenant=request.tenant, filters=filters):
            dropped = {
                k: v
                for k, v in params.items()
                if k not in (("since", "until") if chip["field"] == "time" else (chip["field"],))
            }
            chips.append({**chip, "without": urlencode(dropped)})
    return render(
        request,
        "video_analytics/events.html",
        {
            "page": page,
            "filters": filters,
            "question": question or "",
            "question_error": question_error,
            "interpretation": interpretation,
            "chips": chips,
            "query": urlencode(params),
            "cameras": selectors.cameras_for(tenant=request.tenant),
            "zones": Zone.objects.for_tenant(request.tenant).select_related("camera"),
            "kinds": RuleKind.choices,
            "severities": Severity.choices,
            "statuses": EventStatus.choices,
        },
        status=400 if question_error else 200,
    )


@analyst
def event_detail(request, pk: int):
    event = selectors.event_get(tenant=request.tenant, pk=pk)
    # the track's foot points (bottom centre of each box), drawn over the snapshot
    points = " ".join(
        f"{(x + w / 2) * 1000:.1f},{(y + h) * 1000:.1f}" for _t, x, y, w, h in event.track
    )
    context = {
        "event": event,
        "track_points": points,
        "scene_tags": [scene_tag_label(tag) for tag in event.scene_tags],
    }
    return render(request, "video_analytics/event_detail.html", context)


@analyst
def event_media(request, pk: int, what: str):
    event = selectors.event_get(tenant=request.tenant, pk=pk)
    path = {"snapshot": event.snapshot, "clip": event.clip}.get(what)
    if not path or not storage.absolute(path).exists():
        raise Http404
    kind = "image/jpeg" if what == "snapshot" else "video/mp4"
    return FileResponse(storage.absolute(path).open("rb"), content_type=kind)


@analyst
@require_POST
def event_action(request, pk: int, action: str):
    event = selectors.event_get(tenant=request.tenant, pk=pk)
    handler = {"acknowledge": services.event_acknowledge, "resolve": services.event_resolve}.get(
        action
    )
    if handler is None:
        raise Http404
    try:
        handler(event=event, user=request.user, note=request.POST.get("note", "")[:500])
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Event updated."))
    return redirect("video_analytics:event_detail", event.pk)


@analyst
def stats(request):
    days = selectors.days_back(14)
    by_camera = selectors.event_counts(tenant=request.tenant, days=days, by="camera")
    by_zone = selectors.event_counts(tenant=request.tenant, days=days, by="zone")
    peaks = selectors.people_peaks(tenant=request.tenant, days=days)
    charts = [
        stacked_bar_chart(
            chart_id="va-events-camera",
            title=_("Events per day by camera"),
            desc=_("Events per day over the last 14 days, one colour per camera."),
            days=days,
            series=by_camera,
        ),
        stacked_bar_chart(
            chart_id="va-events-zone",
            title=_("Events per day by zone"),
            desc=_("Events per day over the last 14 days, one colour per zone."),
            days=days,
            series=by_zone,
        ),
        stacked_bar_chart(
            chart_id="va-people",
            title=_("Most people at once, per day"),
            desc=_("The peak number of people seen at once, per camera and zone."),
            days=days,
            series=peaks,
        ),
    ]
    tables = [
        (_("Events by camera"), by_camera),
        (_("Events by zone"), by_zone),
        (_("Most people at once"), peaks),
    ]
    return render(
        request,
        "video_analytics/stats.html",
        {
            "charts": charts,
            "tables": [
                (title, sorted((name, sum(v.values())) for name, v in series.items()))
                for title, series in tables
            ],
            "storage": selectors.storage_used(tenant=request.tenant),
        },
    )


@admin
def settings_page(request):
    policy = RetentionPolicy.objects.for_tenant(request.tenant).filter(camera__isnull=True).first()
    retention = RetentionForm(
        request.POST if request.POST.get("form") == "retention" else None,
        initial={
            "event_days": policy.event_days if policy else 90,
            "media_days": policy.media_days if policy else 30,
            "keyframe_only": policy.keyframe_only if policy else False,
        },
    )
    webhook = WebhookForm(request.POST if request.POST.get("form") == "webhook" else None)
    secret = None
    if request.method == "POST":
        if request.POST.get("form") == "retention" and retention.is_valid():
            try:
                services.retention_set(
                    tenant=request.tenant, actor=request.user, **retention.cleaned_data
                )
            except InvalidInput as exc:
                add_service_errors(retention, exc)
            else:
                messages.success(request, _("Retention policy saved."))
                return redirect("video_analytics:settings")
        elif request.POST.get("form") == "webhook" and webhook.is_valid():
            try:
                _endpoint, secret = services.webhook_endpoint_create(
                    tenant=request.tenant, actor=request.user, **webhook.cleaned_data
                )
            except InvalidInput as exc:
                add_service_errors(webhook, exc)
            else:
                webhook = WebhookForm()
    return render(
        request,
        "video_analytics/settings.html",
        {
            "retention": retention,
            "webhook": webhook,
            "secret": secret,
            "endpoints": selectors.webhooks_for(tenant=request.tenant),
            "storage": selectors.storage_used(tenant=request.tenant),
        },
        status=400 if request.method == "POST" and secret is None else 200,
    )


@admin
@require_POST
def webhook_toggle(request, pk: int):
    endpoint = selectors.webhook_get(tenant=request.tenant, pk=pk)
    services.webhook_endpoint_set_enabled(
        endpoint=endpoint, enabled=not endpoint.enabled, actor=request.user
    )
    if endpoint.enabled:
        messages.success(request, _("Webhook enabled."))
    else:
        messages.success(request, _("Webhook disabled: nothing more is sent to it."))
    return redirect("video_analytics:settings")


@admin
def webhook_edit(request, pk: int):
    """Name, URL and lowest severity; the signing secret can be replaced here (shown once)."""
    endpoint = selectors.webhook_get(tenant=request.tenant, pk=pk)
    initial = {"name": endpoint.name, "url": endpoint.url, "min_severity": endpoint.min_severity}
    editing = request.method == "POST" and request.POST.get("form") != "rotate"
    form = WebhookForm(request.POST if editing else None, initial=initial)
    secret, status = None, 200
    if request.method == "POST" and not editing:
        secret = services.webhook_secret_rotate(endpoint=endpoint, actor=request.user)
    elif editing:
        status = 400
        if form.is_valid():
            try:
                services.webhook_endpoint_update(
                    endpoint=endpoint, actor=request.user, **form.cleaned_data
                )
            except InvalidInput as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Webhook saved."))
                return redirect("video_analytics:settings")
    return render(
        request,
        "video_analytics/webhook_form.html",
        {"endpoint": endpoint, "form": form, "secret": secret},
        status=status,
    )


@admin
@require_POST
def webhook_delete(request, pk: int):
    endpoint = selectors.webhook_get(tenant=request.tenant, pk=pk)
    services.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Webhook deleted."))
    return redirect("video_analytics:settings")


@admin
def webhook_deliveries(request, pk: int):
    endpoint = selectors.webhook_get(tenant=request.tenant, pk=pk)
    page = Paginator(selectors.deliveries_for(endpoint=endpoint), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "video_analytics/webhook_deliveries.html",
        {"endpoint": endpoint, "page": page},
    )
