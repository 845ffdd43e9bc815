"""Tenant-admin pages: models, quotas, safety terms and the usage dashboard."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from suite.portal import charts
from suite.portal.access import admin_required
from suite.portal.forms import add_service_errors

from . import forms, selectors, services, statement_csv
from .capabilities import Capability
from .models import AiModel, ModelAlias, Price, Quota, SafetyTerm
from .safety import builtin_terms

USAGE_DAYS = 30


# --- Models ------------------------------------------------------------------------------


@admin_required
def models(request):
    form = forms.AiModelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            model = services.ai_model_create(
                tenant=request.tenant, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Model %(name)s added.") % {"name": model.name})
            return redirect("ai:models")
    sections = selectors.models_for_portal(request.tenant)
    return render(request, "ai/models.html", {"form": form, "sections": sections})


@admin_required
def model_edit(request, pk: int):
    model = get_object_or_404(AiModel.objects.for_tenant(request.tenant), pk=pk)
    form = forms.AiModelForm.for_instance(model, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ai_model_update(model=model, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Model %(name)s saved.") % {"name": model.name})
            return redirect("ai:models")
    return render(request, "ai/model_edit.html", {"form": form, "model": model})


@admin_required
@require_POST
def model_delete(request, pk: int):
    model = get_object_or_404(AiModel.objects.for_tenant(request.tenant), pk=pk)
    services.ai_model_delete(model=model, request=request)
    messages.success(request, _("Model %(name)s deleted.") % {"name": model.name})
    return redirect("ai:models")


# --- Default voices ----------------------------------------------------------------------


@admin_required
def voices(request):
    state = selectors.voices_for_portal(request.tenant)
    form = forms.VoiceDefaultsForm(
        request.POST or None,
        options=state["options"],
        inherited=state["inherited"],
        current=state["current"],
    )
    if request.method == "POST" and form.is_valid():
        try:
            for language, (model, voice) in form.choices_made().items():
                services.voice_default_set(
                    tenant=request.tenant,
                    language=language,
                    model=model,
                    voice=voice,
                    request=request,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Default voices saved."))
            return redirect("ai:voices")
    return render(request, "ai/voices.html", {"form": form})


# --- Quotas ------------------------------------------------------------------------------


@admin_required
def quotas(request):
    form = forms.QuotaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.quota_set(tenant=request.tenant, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Quota saved."))
            return redirect("ai:quotas")
    rows = selectors.quotas_for_portal(request.tenant)
    return render(request, "ai/quotas.html", {"form": form, "rows": rows})


def _tenant_quotas(request):
    # A key's own limits are managed on the API keys page.
    return Quota.objects.for_tenant(request.tenant).filter(api_key__isnull=True)


@admin_required
def quota_edit(request, pk: int):
    quota = get_object_or_404(_tenant_quotas(request), pk=pk)
    form = forms.QuotaForm(request.POST or None, initial=forms.QuotaForm.initial_for(quota))
    if request.method == "POST" and form.is_valid():
        try:
            services.quota_set(
                tenant=request.tenant, quota=quota, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Quota saved."))
            return redirect("ai:quotas")
    return render(request, "ai/quota_edit.html", {"form": form, "quota": quota})


@admin_required
@require_POST
def quota_delete(request, pk: int):
    quota = get_object_or_404(_tenant_quotas(request), pk=pk)
    services.quota_delete(quota=quota, request=request)
    messages.success(request, _("Quota deleted."))
    return redirect("ai:quotas")


# --- Aliases -----------------------------------------------------------------------------


@admin_required
def aliases(request):
    form = forms.AliasForm(request.POST or None, models=selectors.model_names(request.tenant))
    if request.method == "POST" and form.is_valid():
        try:
            services.alias_set(tenant=request.tenant, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Alias saved."))
            return redirect("ai:aliases")
    rows = selectors.aliases_for_portal(request.tenant)
    return render(request, "ai/aliases.html", {"form": form, "rows": rows})


@admin_required
@require_POST
def alias_delete(request, pk: int):
    alias = get_object_or_404(ModelAlias.objects.for_tenant(request.tenant), pk=pk)
    services.alias_delete(alias=alias, request=request)
    messages.success(request, _("Alias deleted."))
    return redirect("ai:aliases")


# --- Prices ------------------------------------------------------------------------------


@admin_required
def prices(request):
    form = forms.PriceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.price_set(tenant=request.tenant, request=request, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Price saved."))
            return redirect("ai:prices")
    book = selectors.prices_for_portal(request.tenant)
    return render(request, "ai/prices.html", {"form": form, "prices": book})


@admin_required
@require_POST
def price_delete(request, pk: int):
    price = get_object_or_404(Price.objects.for_tenant(request.tenant), pk=pk)
    services.price_delete(price=price, request=request)
    messages.success(request, _("Price deleted."))
    return redirect("ai:prices")


# --- Statements --------------------------------------------------------------------------


@admin_required
def statement(request):
    """A month's statement for this tenant or one below it: a page that prints, or CSV."""
    tenants = selectors.statement_tenants(request.tenant)
    chosen = request.GET.get("tenant")
    if chosen and chosen not in {str(t.pk) for t in tenants}:
        raise Http404  # not this tenant's nor one below it
    defaults = {"month": f"{timezone.localdate():%Y-%m}", "tenant": str(request.tenant.pk)}
    form = forms.StatementForm({**defaults, **request.GET.dict()}, tenants=tenants)
    if not form.is_valid():
        return render(request, "ai/statement.html", {"form": form}, status=400)
    tenant = next(t for t in tenants if t.pk == form.cleaned_data["tenant"])
    data = selectors.statement(tenant, form.cleaned_data["month"])
    if request.GET.get("format") == "csv":
        return statement_csv.response(data)
    return render(request, "ai/statement.html", {"form": form, "statement": data})


# --- Safety terms ------------------------------------------------------------------------


@admin_required
def safety_terms(request):
    form = forms.SafetyTermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.safety_term_add(
                tenant=request.tenant, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Term %(term)s added.") % {"term": row.term})
            return redirect("ai:safety_terms")
    context = {
        "form": form,
        "terms": selectors.safety_terms(request.tenant),
        "builtin_count": len(builtin_terms()),
        "inherited_count": selectors.inherited_safety_term_count(request.tenant),
    }
    return render(request, "ai/safety_terms.html", context)


@admin_required
@require_POST
def safety_term_remove(request, pk: int):
    term = get_object_or_404(SafetyTerm.objects.for_tenant(request.tenant), pk=pk)
    services.safety_term_remove(term=term, request=request)
    messages.success(request, _("Term %(term)s removed.") % {"term": term.term})
    return redirect("ai:safety_terms")


# --- Usage ---------------------------------------------------------------------------------


def _usage_charts(rows: list[dict], days: list, spend: dict) -> dict:
    labels = {str(c): str(c.label) for c in Capability}
    by_capability: dict[str, dict] = {}
    calls: dict = {}
    fallbacks: dict = {}
    for row in rows:
        series = by_capability.setdefault(row["capability"], {})
        series[row["day"]] = series.get(row["day"], 0) + row["requests"]
        calls[row["day"]] = calls.get(row["day"], 0) + row["requests"]
        fallbacks[row["day"]] = fallbacks.get(row["day"], 0) + row["fallback"]
    share = {day: fallbacks.get(day, 0) / n for day, n in calls.items() if n}
    return {
        "calls_chart": charts.stacked_bar_chart(
            chart_id="chart-calls",
            title=_("Calls per day and capability"),
            desc=_(
                "Stacked bars: calls per day over the last %(n)s days, one colour per capability."
            )
            % {"n": len(days)},
            days=days,
            series=by_capability,
            labels=labels,
        ),
        "spend_chart": charts.stacked_bar_chart(
            chart_id="chart-spend",
            title=_("Spend per day and capability"),
            desc=_(
                "Stacked bars: yuan spent per day by this tenant and the tenants below it over "
                "the last %(n)s days, one colour per capability, at the prices in force when "
                "each call ran."
            )
            % {"n": len(days)},
            days=days,
            series=spend,
            labels=labels,
            money=True,
        ),
        "fallback_chart": charts.line_chart(
            chart_id="chart-fallback",
            title=_("Share of calls served by fallbacks"),
            desc=_("Line: per day, the share of calls answered by a fallback model."),
            days=days,
            values=share,
            percent=True,
        ),
        "daily": [
            {
                "day": day,
                "requests": calls.get(day, 0),
                "fallback": fallbacks.get(day, 0),
                "share": share.get(day, 0.0),
            }
            for day in days
        ],
    }


@admin_required
def usage(request):
    tenant = request.tenant
    form = forms.UsageFilterForm(
        request.GET or None, model_names=selectors.usage_model_names(tenant, days=USAGE_DAYS)
    )
    filters = {"capability": None, "model": None}
    if form.is_valid():
        filters = {k: form.cleaned_data.get(k) or None for k in filters}
    rows = selectors.usage_by_day(tenant, days=USAGE_DAYS, **filters)
    days = selectors.usage_days(USAGE_DAYS)
    context = {
        "form": form,
        "days_count": USAGE_DAYS,
        "totals": selectors.usage_totals(tenant, days=USAGE_DAYS, **filters),
        "per_capability": selectors.usage_by_capability(rows),
        "per_tenant": selectors.usage_by_tenant(tenant, days=USAGE_DAYS, **filters),
        "rows": rows,
        **_usage_charts(rows, days, selectors.spend_by_day(tenant, days=USAGE_DAYS, **filters)),
    }
    return render(request, "ai/usage.html", context)
