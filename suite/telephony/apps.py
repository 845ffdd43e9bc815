from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class TelephonyConfig(AppConfig):
    name = "suite.telephony"
    label = "telephony"
    verbose_name = _("Call-center integration")
    # Calls whose server process died (no resume can reach them any more) end as dropped.
    periodic_tasks = {
        "telephony-sweep-orphaned": {
            "task": "suite.telephony.sweep_orphaned",
            "schedule": settings.TELEPHONY_KEEPALIVE_S * 3,
        }
    }
