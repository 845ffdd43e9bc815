from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from suite.tenancy.roles import Role

SWEEP_EVERY_S = 15 * 60


class GovHotlineConfig(AppConfig):
    name = "gov_hotline"
    label = "gov_hotline"
    verbose_name = _("12345 hotline")
    url_prefix = "gov-hotline"
    description = _(
        "12345 hotline assistance: work orders, dispatch, deadlines, return visits, hotspots."
    )
    roles = (
        Role.TENANT_ADMIN,
        Role.HOTLINE_AGENT,
        Role.HOTLINE_DISPATCHER,
        Role.DEPARTMENT_HANDLER,
    )
    # SLA reminders, overdue escalation and hotspot warnings run on celery beat.
    periodic_tasks = {
        "gov-hotline-sweep": {"task": "gov_hotline.sweep", "schedule": SWEEP_EVERY_S},
    }
