"""Filters of the customer-service pages: who may open the editors' pages, and enum values
shown through their labels (zh-hans unless the user picked English)."""

from django import template
from django.utils.translation import pgettext

from ..models import Dialect, TicketStatus
from ..roles import EDITORS

register = template.Library()

_EDITOR_ROLES = frozenset(str(r) for r in EDITORS)


@register.filter
def cs_can_edit(roles) -> bool:
    """True when the roles (the context's `current_roles`) may open the knowledge-base editor,
    categories, lexicon, dialect skills and analytics."""
    return bool(set(roles or ()) & _EDITOR_ROLES)


def _label(choices, value) -> str:
    try:
        return str(choices(str(value)).label)
    except ValueError:
        return str(value or "")


@register.filter
def dialect_label(value) -> str:
    """ "粤语" for "cantonese"; an unknown value is shown as it is."""
    return _label(Dialect, value)


@register.filter
def dialect_labels(values) -> str:
    """A list of dialect values as their labels, joined with the locale's list separator."""
    return pgettext("list separator", ", ").join(dialect_label(v) for v in values or ())


@register.filter
def ticket_status_label(value) -> str:
    return _label(TicketStatus, value)
