"""Deadlines in working days: weekends off, the tenant's holidays off, its swapped workdays on."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from suite.tenancy.models import Tenant

from .models import Holiday, SlaRule
from .taxonomy import DEFAULT_SLA_DAYS, URGENCY_SLA_DAYS

END_OF_DAY = time(18, 0)


class WorkCalendar:
    def __init__(self, holidays: set[date], workdays: set[date]):
        self.holidays = holidays
        self.workdays = workdays

    @classmethod
    def for_tenant(cls, tenant: Tenant) -> WorkCalendar:
        rows = Holiday.objects.for_tenant(tenant).values_list("date", "is_workday")
        return cls({d for d, w in rows if not w}, {d for d, w in rows if w})

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end (18:00) of the `days`-th working day after `start`'s day; 0 means the end of
        `start`'s day if it is a working day, else of the next one."""
        local = timezone.localtime(start)
        day = local.date()
        remaining = days
        if remaining == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return timezone.make_aware(datetime.combine(day, END_OF_DAY), local.tzinfo)

    def working_days_between(self, start: date, end: date) -> int:
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def sla_working_days(tenant: Tenant, request_type: str, urgency: str) -> int:
    rule = (
        SlaRule.objects.for_tenant(tenant)
        .filter(request_type=request_type, urgency=urgency)
        .values_list("working_days", flat=True)
        .first()
    )
    if rule is not None:
        return rule
    days = DEFAULT_SLA_DAYS.get(request_type, 5)
    return min(days, URGENCY_SLA_DAYS.get(urgency, days))


def due_at(tenant: Tenant, request_type: str, urgency: str, start: datetime) -> datetime:
    return WorkCalendar.for_tenant(tenant).add_working_days(
        start, sla_working_days(tenant, request_type, urgency)
    )
