"""Writes behind the model, quota and safety-term administration (portal and REST)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from suite.accounts.services import api_key_models_set
from suite.audit.services import audit_record
from suite.tenancy.models import Tenant

from . import pricing, registry, safety
from .backends import ENGINE_MODULES, REMOTE_ENGINES, engine_class
from .capabilities import Capability, PriceUnit, Unit
from .config_cache import invalidate_on_commit
from .models import (
    AiModel,
    ModelAlias,
    Period,
    Price,
    PricePer,
    Quota,
    SafetyCategory,
    SafetyTerm,
    SpeechLanguage,
    VoiceDefault,
)
from .quota import KEY_LIMITS

MODEL_FIELDS = (
    "name",
    "capability",
    "engine",
    "path",
    "options",
    "priority",
    "is_default",
    "enabled",
    "timeout_s",
    "dialect",
)


def engine_capabilities(engine: str) -> frozenset[str]:
    """The capabilities an engine's backend class serves; empty for an unknown engine.
    Importing a backend module is cheap by design (heavy libraries load in `load()`)."""
    cls = engine_class(engine)
    if cls is None:
        return frozenset()
    return frozenset(str(c) for c in cls.capabilities)


def _check_engine(engine: str, capability: str) -> dict[str, list[str]]:
    if engine not in ENGINE_MODULES:
        return {"engine": [_("Unknown engine %(engine)s.") % {"engine": engine}]}
    if capability not in Capability.values:
        return {"capability": [_("Unknown capability %(c)s.") % {"c": capability}]}
    served = engine_capabilities(engine)
    if capability not in served:
        labels = ", ".join(str(Capability(c).label) for c in sorted(served)) or "—"
        return {
            "engine": [
                _("The %(engine)s engine cannot serve %(capability)s; it serves: %(served)s.")
                % {
                    "engine": engine,
                    "capability": Capability(capability).label,
                    "served": labels,
                }
            ]
        }
    return {}


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _allowed_endpoint(entry: str) -> tuple[str, int | None]:
    """ "gpu-1:8000" pins host and port; a bare "gpu-1" allows only the scheme's default port."""
    host, sep, port = entry.strip().rpartition(":")
    if sep and port.isdigit() and not host.endswith(":"):
        return host.strip("[]").lower(), int(port)
    return entry.strip().strip("[]").lower(), None


def _check_url(url: str, field: str) -> dict[str, list[str]]:
    # Tenant admins choose these URLs and the server calls them: without an allowlist of host
    # AND port a tenant could make it reach internal services (metadata, Redis on localhost).
    allowed = settings.AI_CHAT_HOSTS
    if "*" in allowed:
        return {}
    parsed = urlparse(url)
    try:
        port = parsed.port or _DEFAULT_PORTS.get(parsed.scheme)
    except ValueError:
        port = None
    host = (parsed.hostname or "").lower()
    for entry in allowed:
        allowed_host, allowed_port = _allowed_endpoint(entry)
        if host != allowed_host or port is None:
            continue
        if port == allowed_port or (
            allowed_port is None and port == _DEFAULT_PORTS.get(parsed.scheme)
        ):
            return {}
    return {
        field: [
            _("Chat servers must be at one of %(hosts)s (host and port; setting AI_CHAT_HOSTS).")
            % {"hosts": ", ".join(allowed) or "—"}
        ]
    }


def _check_path(engine: str, path: str, options: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if engine in REMOTE_ENGINES and isinstance(options, dict):
        listed = options.get("base_urls")
        urls = [options.get("base_url"), *(listed if isinstance(listed, list) else [listed])]
        for url in urls:
            if url is not None and not (isinstance(url, str) and url):
                errors["options"] = [_("base_urls must be a list of server URLs.")]
            elif url:
                errors.update(_check_url(url, "options"))
    if not path:
        return errors
    if path.startswith(("http://", "https://")):
        if engine in REMOTE_ENGINES:
            return {**errors, **_check_url(path, "path")}
        return {
            "path": [_("The %(engine)s engine needs a local path, not a URL.") % {"engine": engine}]
        }
    resolved = Path(path).expanduser().resolve()
    roots = [Path(root).resolve() for root in settings.AI_MODEL_ROOTS]
    if not any(resolved.is_relative_to(root) for root in roots):
        # Tenant admins must not point a loader at arbitrary server files.
        return {
            "path": [
                _("%(path)s is outside the model folders %(roots)s (setting AI_MODEL_ROOTS).")
                % {"path": path, "roots": ", ".join(str(r) for r in roots)}
            ]
        }
    if not resolved.exists():
        return {
            "path": [
                _("No file or folder at %(path)s on the server. Copy the model there first.")
                % {"path": path}
            ]
        }
    return errors


def _validate_model(values: dict[str, Any], *, tenant: Tenant, pk: int | None) -> None:
    errors: dict[str, list[str]] = {}
    name = values["name"]
    if not name or slugify(name) != name.lower() or len(name) > 80:
        errors["name"] = [_("Use letters, digits, hyphens and underscores only.")]
    errors.update(_check_engine(values["engine"], values["capability"]))
    errors.update(_check_path(values["engine"], values["path"], values["options"]))
    if not isinstance(values["options"], dict):
        errors["options"] = [_('Options must be a JSON object, e.g. {"beam_size": 5}.')]
    timeout = values["timeout_s"]
    if timeout is not None and timeout <= 0:
        errors["timeout_s"] = [_("The timeout must be a positive number of seconds.")]
    duplicate = (
        AiModel.objects.for_tenant(tenant)
        .filter(capability=values["capability"], name=name)
        .exclude(pk=pk)
        .exists()
    )
    if duplicate and "name" not in errors:
        errors["name"] = [
            _("This tenant already has a %(capability)s model named %(name)s.")
            % {"capability": values["capability"], "name": name}
        ]
    if errors:
        raise ValidationError(errors)


def _clean_model_values(values: dict[str, Any]) -> dict[str, Any]:
    values = {**values}
    values["name"] = str(values.get("name") or "").strip()
    values["path"] = str(values.get("path") or "").strip()
    values["dialect"] = str(values.get("dialect") or "").strip()
    if values.get("options") is None:
        values["options"] = {}
    return values


def _unset_other_defaults(model: AiModel) -> None:
    if model.is_default:
        AiModel.objects.for_tenant(model.tenant).filter(
            capability=model.capability, is_default=True
        ).exclude(pk=model.pk).update(is_default=False)


def _model_data(model: AiModel) -> dict[str, Any]:
    return {f: getattr(model, f) for f in MODEL_FIELDS}


@transaction.atomic
def ai_model_create(
    *,
    tenant: Tenant,
    name: str,
    capability: str,
    engine: str,
    path: str = "",
    options: dict | None = None,
    priority: int = 100,
    is_default: bool = False,
    enabled: bool = True,
    timeout_s: int | None = None,
    dialect: str = "",
    request=None,
) -> AiModel:
    values = _clean_model_values(
        {
            "name": name,
            "capability": capability,
            "engine": engine,
            "path": path,
            "options": options,
            "priority": priority,
            "is_default": is_default,
            "enabled": enabled,
            "timeout_s": timeout_s,
            "dialect": dialect,
        }
    )
    _validate_model(values, tenant=tenant, pk=None)
    model = AiModel.objects.create(tenant=tenant, **values)
    _unset_other_defaults(model)
    audit_record(
        action="ai_model.created",
        tenant=tenant,
        request=request,
        obj=model,
        data=_model_data(model),
    )
    invalidate_on_commit()
    return model


@transaction.atomic
def ai_model_update(*, model: AiModel, request=None, **changes: Any) -> AiModel:
    unknown = set(changes) - set(MODEL_FIELDS)
    if unknown:
        raise TypeError(f"ai_model_update() got unknown fields: {sorted(unknown)}")
    before = _model_data(model)
    values = _clean_model_values({**before, **changes})
    _validate_model(values, tenant=model.tenant, pk=model.pk)
    for field_name, value in values.items():
        setattr(model, field_name, value)
    model.save()
    _unset_other_defaults(model)
    changed = {k: v for k, v in values.items() if before[k] != v}
    audit_record(
        action="ai_model.updated",
        tenant=model.tenant,
        request=request,
        obj=model,
        data={"name": model.name, "capability": model.capability, "changed": changed},
    )
    invalidate_on_commit()
    return model


@transaction.atomic
def ai_model_delete(*, model: AiModel, request=None) -> None:
    audit_record(
        action="ai_model.deleted",
        tenant=model.tenant,
        request=request,
        obj=model,
        data=_model_data(model),
    )
    model.delete()
    invalidate_on_commit()


def _validate_quota(
    *, tenant: Tenant, capability: str, unit: str, period: str, limit: int, pk: int | None
) -> None:
    errors: dict[str, list[str]] = {}
    if capability and capability not in Capability.values:
        errors["capability"] = [_("Unknown capability %(c)s.") % {"c": capability}]
    if unit not in Unit.values:
        errors["unit"] = [_("Unknown unit %(u)s.") % {"u": unit}]
    if period not in Period.values:
        errors["period"] = [_("Unknown period %(p)s.") % {"p": period}]
    if limit is None or limit < 0:
        errors["limit"] = [_("The limit must be zero or a positive whole number.")]
    clash = (
        Quota.objects.for_tenant(tenant)
        .filter(api_key__isnull=True)
        .filter(capability=capability, unit=unit, period=period)
        .exclude(pk=pk)
        .exists()
    )
    if pk is not None and clash:
        errors[""] = [_("This tenant already has a quota for that capability, unit and period.")]
    if errors:
        raise ValidationError({k or "__all__": v for k, v in errors.items()})


@transaction.atomic
def quota_set(
    *,
    tenant: Tenant,
    capability: str,
    unit: str,
    period: str,
    limit: int,
    quota: Quota | None = None,
    request=None,
) -> Quota:
    """Create or update a quota. Without `quota`, the (capability, unit, period) key decides:
    setting a limit for an existing key changes that row's limit. With `quota`, that row is
    edited (its key may change, as long as it does not clash with another row).

    A tenant's quota may exceed its parent's: the parent's cap binds the subtree anyway."""
    capability = capability or ""
    if quota is not None and quota.tenant_id != tenant.pk:
        raise ValidationError(_("This quota belongs to another tenant."))
    _validate_quota(
        tenant=tenant,
        capability=capability,
        unit=unit,
        period=period,
        limit=limit,
        pk=quota.pk if quota else None,
    )
    key = {"capability": capability, "unit": unit, "period": period}
    if quota is None:
        quota, created = Quota.objects.select_for_update().get_or_create(
            tenant=tenant, api_key=None, **key, defaults={"limit": limit}
        )
        before = None if created else quota.limit
    else:
        before = quota.limit
    for field_name, value in {**key, "limit": limit}.items():
        setattr(quota, field_name, value)
    quota.save()
    audit_record(
        action="ai_quota.set",
        tenant=tenant,
        request=request,
        obj=quota,
        data={**key, "limit": limit, "previous_limit": before},
    )
    invalidate_on_commit()
    return quota


@transaction.atomic
def quota_delete(*, quota: Quota, request=None) -> None:
    audit_record(
        action="ai_quota.deleted",
        tenant=quota.tenant,
        request=request,
        obj=quota,
        data={
            "capability": quota.capability,
            "unit": quota.unit,
            "period": quota.period,
            "limit": quota.limit,
        },
    )
    quota.delete()
    invalidate_on_commit()


def _validate_price(
    *, tenant: Tenant, capability: str, model: str, unit: str, yuan: Decimal, per: int
) -> None:
    errors: dict[str, list[str]] = {}
    if capability not in Capability.values:
        errors["capability"] = [_("Unknown capability %(c)s.") % {"c": capability}]
    if unit not in PriceUnit.values:
        errors["unit"] = [_("Unknown unit %(u)s.") % {"u": unit}]
    if per not in PricePer.values:
        errors["per"] = [_("A price is per unit, per thousand or per million.")]
    if yuan is None or yuan < 0:
        errors["yuan"] = [_("The price must be zero or more yuan.")]
    elif yuan != yuan.quantize(Decimal("0.000001")):
        errors["yuan"] = [_("A price has at most six decimal places.")]
    known = () if "capability" in errors else registry.configured_models(tenant, capability)
    if model and "capability" not in errors and model not in {m.name for m in known}:
        errors["model"] = [
            _("This tenant has no %(capability)s model named %(model)s.")
            % {"capability": Capability(capability).label, "model": model}
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def price_set(
    *,
    tenant: Tenant,
    capability: str,
    unit: str,
    yuan: Decimal,
    per: int = PricePer.ONE,
    model: str = "",
    request=None,
) -> Price:
    """Set the price the tenant charges the tenants below it for a unit of a model (or of every
    model of the capability); a nearer tenant's own price overrides it for its subtree."""
    model = model or ""
    _validate_price(
        tenant=tenant, capability=capability, model=model, unit=unit, yuan=yuan, per=per
    )
    price, created = Price.objects.select_for_update().get_or_create(
        tenant=tenant,
        capability=capability,
        model=model,
        unit=unit,
        defaults={"yuan": yuan, "per": per},
    )
    before = None if created else {"yuan": str(price.yuan), "per": price.per}
    price.yuan, price.per = yuan, per
    price.save()
    audit_record(
        action="ai_price.set",
        tenant=tenant,
        request=request,
        obj=price,
        data={
            "capability": capability,
            "model": model,
            "unit": unit,
            "yuan": str(yuan),
            "per": per,
            "previous": before,
        },
    )
    invalidate_on_commit()
    return price


@transaction.atomic
def price_delete(*, price: Price, request=None) -> None:
    audit_record(
        action="ai_price.deleted",
        tenant=price.tenant,
        request=request,
        obj=price,
        data={
            "capability": price.capability,
            "model": price.model,
            "unit": price.unit,
            "yuan": str(price.yuan),
            "per": price.per,
        },
    )
    price.delete()
    invalidate_on_commit()


ALIAS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,79}")  # OpenAI-style names: gpt-4o-mini


@transaction.atomic
def alias_set(
    *, tenant: Tenant, capability: str, alias: str, target: str, request=None
) -> ModelAlias:
    """Name `alias` means the model `target` for the tenant's subtree (nearest alias wins)."""
    alias, target = alias.strip(), target.strip()
    errors: dict[str, list[str]] = {}
    if capability not in Capability.values:
        errors["capability"] = [_("Unknown capability %(c)s.") % {"c": capability}]
    if not ALIAS.fullmatch(alias):
        errors["alias"] = [
            _("An alias is up to 80 letters, digits, dots, colons, hyphens or underscores.")
        ]
    if "capability" not in errors:
        names = {m.name for m in registry.configured_models(tenant, capability)}
        if target not in names:
            errors["target"] = [
                _("This tenant has no %(capability)s model named %(model)s.")
                % {"capability": Capability(capability).label, "model": target}
            ]
        elif alias in names:
            errors["alias"] = [_("A model already has this name; an alias cannot hide it.")]
    if errors:
        raise ValidationError(errors)
    row, created = ModelAlias.objects.select_for_update().get_or_create(
        tenant=tenant, capability=capability, alias=alias, defaults={"target": target}
    )
    before = None if created else row.target
    row.target = target
    row.save()
    audit_record(
        action="ai_alias.set",
        tenant=tenant,
        request=request,
        obj=row,
        data={"capability": capability, "alias": alias, "target": target, "previous": before},
    )
    invalidate_on_commit()
    return row


@transaction.atomic
def alias_delete(*, alias: ModelAlias, request=None) -> None:
    audit_record(
        action="ai_alias.deleted",
        tenant=alias.tenant,
        request=request,
        obj=alias,
        data={"capability": alias.capability, "alias": alias.alias, "target": alias.target},
    )
    alias.delete()
    invalidate_on_commit()


@transaction.atomic
def key_terms_set(
    *,
    key,
    allowed_models: list[str],
    rpm: int | None = None,
    tpm: int | None = None,
    monthly_budget: Decimal | None = None,
    request=None,
) -> None:
    """All of an API key's terms for the model API at once (its model allow-list and its own
    limits), as the portal's form and the REST endpoint set them: all saved or none."""
    api_key_models_set(key=key, allowed_models=allowed_models, request=request)
    key_limits_set(key=key, rpm=rpm, tpm=tpm, monthly_budget=monthly_budget, request=request)


@transaction.atomic
def key_limits_set(
    *,
    key,
    rpm: int | None = None,
    tpm: int | None = None,
    monthly_budget: Decimal | None = None,
    request=None,
) -> None:
    """A key's own limits on model access, enforced with the tenant tree's quotas: requests and
    tokens per minute, and spend per month in yuan. None removes a limit."""
    values = {"rpm": rpm, "tpm": tpm, "monthly_budget": monthly_budget}
    errors = {
        name: [_("A limit must be zero or more.")]
        for name, value in values.items()
        if value is not None and value < 0
    }
    if errors:
        raise ValidationError(errors)
    current = {(q.unit, q.period): q for q in Quota.objects.filter(api_key=key)}
    changes: dict[str, str | None] = {}
    for name, (unit, period) in KEY_LIMITS.items():
        value, existing = values[name], current.get((unit, period))
        if value is None:
            if existing is not None:
                existing.delete()
                changes[name] = None
            continue
        limit = pricing.micro_yuan(value) if unit == Unit.SPEND else int(value)
        if existing is None:
            Quota.objects.create(
                tenant=key.tenant, api_key=key, unit=unit, period=period, limit=limit
            )
        elif existing.limit == limit:
            continue
        else:
            existing.limit = limit
            existing.save(update_fields=["limit"])
        changes[name] = str(value)
    if changes:
        audit_record(
            action="ai_key_limits.set", tenant=key.tenant, request=request, obj=key, data=changes
        )
        invalidate_on_commit()


@transaction.atomic
def safety_term_add(
    *, tenant: Tenant, term: str, category: str = SafetyCategory.OTHER, request=None
) -> SafetyTerm:
    term = " ".join(str(term).split())
    errors: dict[str, list[str]] = {}
    if not safety.normalise(term):
        errors["term"] = [_("Enter a term with at least one letter or character.")]
    elif len(term) > 100:
        errors["term"] = [_("A term can have at most 100 characters.")]
    elif SafetyTerm.objects.for_tenant(tenant).filter(term=term).exists():
        errors["term"] = [_("This term is already on the list.")]
    if category not in SafetyCategory.values:
        errors["category"] = [_("Unknown category %(c)s.") % {"c": category}]
    if errors:
        raise ValidationError(errors)
    row = SafetyTerm.objects.create(tenant=tenant, term=term, category=category)
    invalidate_on_commit()
    audit_record(
        action="ai_safety_term.added",
        tenant=tenant,
        request=request,
        obj=row,
        data={"term": term, "category": category},
    )
    return row


@transaction.atomic
def safety_term_remove(*, term: SafetyTerm, request=None) -> None:
    audit_record(
        action="ai_safety_term.removed",
        tenant=term.tenant,
        request=request,
        obj=term,
        data={"term": term.term, "category": term.category},
    )
    term.delete()
    invalidate_on_commit()


# --- Default voices ------------------------------------------------------------------------


@transaction.atomic
def voice_default_set(
    *, tenant: Tenant, language: str, model: str, voice: str, request=None
) -> VoiceDefault | None:
    """The tenant's default voice for a language; an empty model removes the tenant's own
    choice, so the parent's (or the suite's) applies again."""
    from .voices import voice_options

    if language not in SpeechLanguage.values:
        raise ValidationError({"language": _("Unknown language %(code)s.") % {"code": language}})
    current = VoiceDefault.objects.for_tenant(tenant).filter(language=language).first()
    if not model:
        if current is None:
            return None
        current.delete()
        chosen = None
    else:
        offered = {(m, v) for m, v, _label in voice_options(tenant, language)}
        if (model, voice) not in offered:
            raise ValidationError(
                {
                    language: _("%(model)s has no voice %(voice)s for this language.")
                    % {"model": model, "voice": voice or "—"}
                }
            )
        if current and (current.model, current.voice) == (model, voice):
            return current
        chosen, _created = VoiceDefault.objects.update_or_create(
            tenant=tenant, language=language, defaults={"model": model, "voice": voice}
        )
    audit_record(
        action="ai_voice.updated",
        tenant=tenant,
        request=request,
        obj=chosen,
        data={"language": language, "model": model, "voice": voice},
    )
    invalidate_on_commit()
    return chosen
