"""Filters the portal templates share: masking personal data and naming roles."""

from decimal import Decimal

from django import template

from suite import privacy
from suite.jobs.models import JobStatus
from suite.jobs.selectors import job_status_label
from suite.tenancy.models import STAFF_ROLES, Role

register = template.Library()

_ACTIVE_JOB_STATUSES = frozenset({JobStatus.QUEUED.value, JobStatus.RUNNING.value})


@register.filter
def yuan(amount) -> str:
    """A sum of money as pages show it: ¥1,234.50, or ¥0.0012 below one fen."""
    from suite.ai.pricing import yuan_text

    return yuan_text(Decimal(amount or 0))


@register.filter
def job_status(job) -> str:
    """The job's state as a person reads it: "排队中（第 3 位）" while it waits in its queue."""
    return job_status_label(job)


@register.filter
def job_retryable(job) -> bool:
    """A failed job of a kind that can simply run again (the retry button shows)."""
    from suite.jobs.kinds import job_kind_retryable

    return job.status == JobStatus.FAILED and job_kind_retryable(job.kind)


@register.filter
def mask_phone(value) -> str:
    """138****8000 for a mobile number; only the last four digits of anything else."""
    return privacy.mask_phone(str(value) if value is not None else None)


@register.filter
def mask_pii(value) -> str:
    """Masks every phone and ID number inside free text (actor labels, messages)."""
    return privacy.mask_text(str(value)) if value else ""


@register.filter
def mask_name(value) -> str:
    """王** for a caller's name in a list."""
    return privacy.mask_name(str(value)) if value else ""


@register.filter
def role_label(value) -> str:
    """The translated name of a role value such as "tenant_admin"."""
    try:
        return str(Role(str(value)).label)
    except ValueError:
        return str(value)


@register.filter
def has_staff_role(roles) -> bool:
    """True when the roles (the context's `current_roles`) include any staff role."""
    return bool(set(roles or ()) & STAFF_ROLES)


@register.filter
def jobs_active(jobs) -> bool:
    """True while any job of the list is queued or running (the page keeps polling)."""
    return any(job.status in _ACTIVE_JOB_STATUSES for job in jobs or ())


@register.filter
def startswith(value, prefix) -> bool:
    return str(value).startswith(str(prefix))
