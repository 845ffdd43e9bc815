"""Which backends serve a tenant's call, in fallback order."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from suite.tenancy.models import Tenant

from .backends.base import BackendSpec
from .capabilities import Capability
from .config_cache import memoize
from .errors import ModelNotFound
from .models import AiModel, ModelAlias

DEFAULT_MODEL = "default"
# Embedded engines that work without any large model: appended to every fallback list so a
# tenant's misconfigured server never leaves the capability without an answer.
EMBEDDED_FALLBACK_ENGINES = frozenset({"extractive", "opencv-stylize"})


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    spec: BackendSpec
    timeout_s: float
    dialect: str = ""


def ancestor_ids(tenant: Tenant) -> list[int]:
    """Nearest first: the tenant, its parent, ... the root. Reads the materialised path."""

    def compute() -> list[int]:
        slugs = [s for s in tenant.path.strip("/").split("/") if s]
        by_slug = dict(Tenant.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        return [by_slug[s] for s in reversed(slugs) if s in by_slug]

    return memoize(("ancestors", tenant.pk, tenant.path), compute)


def _from_row(row: AiModel) -> ResolvedModel:
    return ResolvedModel(
        name=row.name,
        spec=BackendSpec(engine=row.engine, path=row.path, options=dict(row.options)),
        timeout_s=float(row.timeout_s or settings.AI_CALL_TIMEOUT_S),
        dialect=row.dialect,
    )


def _from_setting(entry: dict) -> ResolvedModel:
    return ResolvedModel(
        name=entry["name"],
        spec=BackendSpec(
            engine=entry["engine"], path=entry.get("path", ""), options=entry.get("options", {})
        ),
        timeout_s=float(entry.get("timeout_s", settings.AI_CALL_TIMEOUT_S)),
        dialect=entry.get("dialect", ""),
    )


def configured_models(tenant: Tenant, capability: Capability | str) -> list[ResolvedModel]:
    """The tenant's list for a capability: its own rows, else the nearest ancestor's, else the
    settings defaults; embedded fallbacks always close the list."""
    return list(
        memoize(("models", tenant.pk, str(capability)), lambda: _configured(tenant, capability))
    )


def _configured(tenant: Tenant, capability: Capability | str) -> list[ResolvedModel]:
    chain = ancestor_ids(tenant)
    rows = list(
        AiModel.objects.filter(tenant_id__in=chain, capability=capability, enabled=True).order_by(
            "-is_default", "priority", "name"
        )
    )
    models_: list[ResolvedModel] = []
    if rows:
        by_tenant: dict[int, list[AiModel]] = {}
        for row in rows:
            by_tenant.setdefault(row.tenant_id, []).append(row)
        nearest = next(pk for pk in chain if pk in by_tenant)
        models_ = [_from_row(row) for row in by_tenant[nearest]]
    defaults = [_from_setting(e) for e in settings.AI_DEFAULT_MODELS.get(str(capability), [])]
    if not models_:
        return defaults
    engines = {m.spec.engine for m in models_}
    models_ += [
        m
        for m in defaults
        if m.spec.engine in EMBEDDED_FALLBACK_ENGINES and m.spec.engine not in engines
    ]
    return models_


def language_model_configured(tenant: Tenant) -> bool:
    """True when a real language model (not the embedded extractive answerer) is configured."""
    return any(
        m.spec.engine not in EMBEDDED_FALLBACK_ENGINES
        for m in configured_models(tenant, Capability.CHAT)
    )


def embedded_fallback(tenant: Tenant, capability: Capability | str) -> str | None:
    """The name of the tenant's embedded fallback for a capability (the extractive answerer for
    chat), for a caller that wants its answer beside a real model's."""
    return next(
        (
            m.name
            for m in configured_models(tenant, capability)
            if m.spec.engine in EMBEDDED_FALLBACK_ENGINES
        ),
        None,
    )


def aliases(tenant: Tenant, capability: Capability | str) -> dict[str, str]:
    """alias -> model name for the tenant: its own aliases and its ancestors', nearest first."""

    def compute() -> dict[str, str]:
        chain = ancestor_ids(tenant)
        order = {pk: n for n, pk in enumerate(chain)}
        rows = sorted(
            ModelAlias.objects.filter(tenant_id__in=chain, capability=capability),
            key=lambda row: -order[row.tenant_id],  # the nearest last, so it overwrites
        )
        return {row.alias: row.target for row in rows}

    return memoize(("aliases", tenant.pk, str(capability)), compute)


def unalias(tenant: Tenant, capability: Capability | str, model: str | None) -> str | None:
    """The model a name means: the target of the tenant's alias of that name, else the name.
    A model of that very name beats an alias of it."""
    if not model or model == DEFAULT_MODEL:
        return model
    if any(m.name == model for m in configured_models(tenant, capability)):
        return model
    return aliases(tenant, capability).get(model, model)


def resolve(
    tenant: Tenant,
    capability: Capability | str,
    model: str | None = DEFAULT_MODEL,
    *,
    dialect: str = "",
) -> list[ResolvedModel]:
    """The ordered list to try. A named model (or an alias of one) is tried alone: a caller who
    asked for it by name must not silently get another. `default` gets the whole list; a
    dialect puts that dialect's models first and drops models of other dialects."""
    available = configured_models(tenant, capability)
    model = unalias(tenant, capability, model)
    if model and model != DEFAULT_MODEL:
        chosen = [m for m in available if m.name == model]
        if not chosen:
            raise ModelNotFound(
                _("Model %(model)s is not configured for %(capability)s in this tenant.")
                % {"model": model, "capability": capability},
                param="model",
            )
        return chosen
    if dialect:
        matching = [m for m in available if m.dialect == dialect]
        general = [m for m in available if not m.dialect]
        return matching + general
    return [m for m in available if not m.dialect] or available
