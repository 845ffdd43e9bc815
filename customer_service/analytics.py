"""Supervisor analytics (reads only): volume, containment, handoff reasons, dialects, handle
time, satisfaction and the questions the assistant could not answer."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Avg, Count, F
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from suite.portal.charts import PALETTE, line_chart, stacked_bar_chart
from suite.telephony.models import Call
from suite.tenancy.models import Tenant

from .models import Channel, Conversation, ConversationStatus
from .unanswered import top_unanswered

TOP_UNANSWERED = 10
CALL_PRODUCT = "customer_service"


def _days(days: int) -> list[date]:
    today = timezone.localdate()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def figures(tenant: Tenant, *, days: int = 30) -> dict:
    since = timezone.now() - timedelta(days=days)
    convs = Conversation.objects.for_tenant(tenant).filter(created_at__gte=since)
    total = convs.count()
    escalated = convs.exclude(escalation_reason="").count()
    closed = convs.filter(status=ConversationStatus.CLOSED, closed_at__isnull=False)
    handle = closed.annotate(span=F("closed_at") - F("created_at")).aggregate(avg=Avg("span"))
    rated = convs.filter(satisfaction__isnull=False)
    per_day: dict[str, dict[str, int]] = defaultdict(dict)
    for row in (
        convs.annotate(day=TruncDate("created_at")).values("day", "channel").annotate(n=Count("id"))
    ):
        per_day[row["channel"]][row["day"].isoformat()] = row["n"]
    contained_day: dict[str, float] = {}
    for row in (
        convs.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"), esc=Count("id", filter=~_blank_reason()))
    ):
        contained_day[row["day"].isoformat()] = 1 - row["esc"] / row["n"] if row["n"] else 0
    # A live call recorded as a voice conversation (services/voice.py) is counted once, as
    # voice; calls stored only by suite.telephony (no conversation) are their own series.
    calls = Call.objects.for_tenant(tenant).filter(product=CALL_PRODUCT, started_at__gte=since)
    recorded = set(
        convs.filter(channel=Channel.VOICE).exclude(call_id="").values_list("call_id", flat=True)
    )
    for call_id, started in calls.values_list("id", "started_at"):
        if str(call_id) in recorded:
            continue
        day = timezone.localdate(started).isoformat()
        per_day["call"][day] = per_day["call"].get(day, 0) + 1
    call_span = (
        calls.filter(ended_at__isnull=False)
        .annotate(span=F("ended_at") - F("started_at"))
        .aggregate(avg=Avg("span"))["avg"]
    )
    unanswered = top_unanswered(tenant, since=since, limit=TOP_UNANSWERED)
    avg = handle["avg"]
    return {
        "days": days,
        "conversations": total,
        "by_channel": {ch: sum(v.values()) for ch, v in per_day.items()},
        "per_day": per_day,
        "containment": round(1 - escalated / total, 3) if total else None,
        "containment_per_day": contained_day,
        "handoff_reasons": dict(
            convs.exclude(escalation_reason="")
            .values_list("escalation_reason")
            .annotate(n=Count("id"))
            .values_list("escalation_reason", "n")
        ),
        "dialects": dict(
            convs.values_list("dialect").annotate(n=Count("id")).values_list("dialect", "n")
        ),
        "average_handle_seconds": round(avg.total_seconds(), 1) if avg else None,
        "calls": calls.count(),
        "average_call_seconds": round(call_span.total_seconds(), 1) if call_span else None,
        "satisfaction": {
            "average": round(rated.aggregate(a=Avg("satisfaction"))["a"], 2) if rated else None,
            "responses": rated.count(),
            "distribution": {
                str(k): v
                for k, v in rated.values_list("satisfaction")
                .annotate(n=Count("id"))
                .values_list("satisfaction", "n")
            },
        },
        "top_unanswered": unanswered["groups"],
        "unanswered_grouped_by": unanswered["grouped_by"],
    }


def _blank_reason():
    from django.db.models import Q

    return Q(escalation_reason="")


def bar_chart(*, chart_id: str, title: str, items: dict[str, float], labels: dict) -> SafeString:
    """Horizontal bars for a categorical breakdown; every text escaped, numbers in titles."""
    rows = sorted(items.items(), key=lambda kv: -kv[1])
    # Drawn for a half-width card (about 400 px): the 12 px labels stay 12 px or so on screen
    # instead of shrinking to unreadable when a wide chart is scaled down.
    width, row_h, left = 400, 26, 120
    height = max(1, len(rows)) * row_h + 16
    top = max((v for _k, v in rows), default=0) or 1
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-labelledby="{escape(chart_id)}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]
    for i, (key, value) in enumerate(rows):
        y = 8 + i * row_h
        w = (width - left - 40) * value / top
        label = escape(str(labels.get(key, key)))
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="#1d2733">{label}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="16" '
            f'fill="{PALETTE[i % len(PALETTE)]}"><title>{label}: {value:g}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12" fill="#5f6b7a">'
            f"{value:g}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def charts(data: dict, labels: dict) -> dict[str, SafeString]:
    days = _days(data["days"])
    series = {
        ch: {date.fromisoformat(d): n for d, n in per.items()}
        for ch, per in data["per_day"].items()
    }
    return {
        "volume": stacked_bar_chart(
            chart_id="cs-volume",
            title=str(labels["volume"]),
            desc=str(labels["volume_desc"]),
            days=days,
            series=series,
            labels={k: str(v) for k, v in labels["channels"].items()},
        ),
        "containment": line_chart(
            chart_id="cs-containment",
            title=str(labels["containment"]),
            desc=str(labels["containment_desc"]),
            days=days,
            values={date.fromisoformat(d): v for d, v in data["containment_per_day"].items()},
            percent=True,
        ),
        "reasons": bar_chart(
            chart_id="cs-reasons",
            title=str(labels["reasons"]),
            items=data["handoff_reasons"],
            labels=labels["reason_names"],
        ),
        "dialects": bar_chart(
            chart_id="cs-dialects",
            title=str(labels["dialects"]),
            items=data["dialects"],
            labels=labels["dialect_names"],
        ),
    }
