"""A stored row of any model, built from its fields alone, for tests that need "some object of
tenant B" and care about nothing else in it (the generated cross-tenant API tests)."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

_serial = itertools.count(1)


def row_of(model: type[models.Model], tenant, **given) -> models.Model:
    """A saved `model` row owned by `tenant`: every field that needs a value gets a plain one of
    its type, foreign keys get rows of their own (in the same tenant); `given` wins."""
    values = dict(given)
    for field in model._meta.concrete_fields:
        if field.name in values or field.primary_key:
            continue
        if field.name == "tenant":
            values["tenant"] = tenant
        elif isinstance(field, models.ForeignKey):
            if not field.null:
                values[field.name] = _related(field, tenant)
        elif not (field.has_default() or field.null or _stamped(field)):
            values[field.name] = _plain_value(field)
    return model.objects.create(**values)


def _stamped(field: models.Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _related(field: models.ForeignKey, tenant) -> models.Model:
    related = field.related_model
    if related is get_user_model():
        n = next(_serial)
        return related.objects.create_user(username=f"row-owner-{n}", password=None)
    if related._meta.label == "tenancy.Tenant":
        return tenant
    return row_of(related, tenant)


def _plain_value(field: models.Field):
    if field.choices:
        return field.choices[0][0]
    n = next(_serial)
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField):
        return Decimal("1")
    if isinstance(field, models.FloatField):
        return 1.0
    if isinstance(field, models.IntegerField):
        return n
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return dt.date.today()
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.1"
    if isinstance(field, models.EmailField):
        return f"row{n}@example.com"
    if isinstance(field, models.URLField):
        return f"https://example.com/{n}"
    if isinstance(field, models.FileField):
        return f"rows/{n}.bin"
    if isinstance(field, models.BinaryField):
        return b""
    text = f"row-{n}"
    return text[: field.max_length] if field.max_length else text
