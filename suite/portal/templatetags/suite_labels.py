"""Filters that show codes by their labels and numbers the way a person reads them; shared by
the suite's and the products' templates (`{% load suite_labels %}`)."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import pgettext

from suite.accounts.models import ApiKeyScope
from suite.ai.capabilities import capability_label as _capability_label
from suite.ai.engines import engine_label as _engine_label
from suite.audit.labels import audit_action_label, audit_actor_label, audit_object_label
from suite.jobs.kinds import job_kind_label

register = template.Library()


@register.filter
def audit_action(action) -> str:
    """ "登录" for auth.login."""
    return audit_action_label(str(action or ""))


@register.filter
def audit_actor(actor_label) -> str:
    """ "系统" for an entry recorded by the system, "API 密钥 sk-ab12…" for a key's call."""
    return audit_actor_label(str(actor_label or ""))


@register.filter
def audit_object(entry) -> str:
    """ "API 密钥 #11" for an entry about accounts.ApiKey 11; "" when it names no object."""
    return audit_object_label(entry.object_type, entry.object_id)


@register.filter
def scope_label(scope) -> str:
    """ "视频彩铃" for the API-key scope "ringtone"."""
    try:
        return str(ApiKeyScope(str(scope)).label)
    except ValueError:
        return str(scope)


@register.filter
def job_kind(kind) -> str:
    """ "铃音自动检测" for video_ringtone.checks."""
    return job_kind_label(str(kind or ""))


@register.filter
def capability_label(capability) -> str:
    """ "对话" for the model capability "chat"."""
    return _capability_label(str(capability or ""))


@register.filter
def engine_label(engine) -> str:
    """ "内置模板与照片风格化" for opencv-stylize."""
    return _engine_label(str(engine or ""))


@register.filter
def duration(seconds) -> str:
    """6分22秒 (6 min 22 s) for 382 seconds; 1小时5分 for 3900; "" for no value."""
    if seconds in (None, ""):
        return ""
    try:
        total = round(float(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(max(total, 0), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return pgettext("duration", "%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if minutes:
        return pgettext("duration", "%(m)s min %(s)s s") % {"m": minutes, "s": secs}
    return pgettext("duration", "%(s)s s") % {"s": secs}


@register.filter
def seconds_until(moment: datetime | None) -> float | None:
    """Seconds from now until `moment` (negative once past), for `duration`: "23小时45分"
    where Django's timeuntil says "23 小时，45 分钟"."""
    if moment is None:
        return None
    return (moment - timezone.now()).total_seconds()
