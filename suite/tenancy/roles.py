"""Roles live apart from the models so AppConfigs can name them before apps are loaded."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("Tenant administrator")
    CS_AGENT = "cs_agent", _("Customer service agent")
    CS_SUPERVISOR = "cs_supervisor", _("Customer service supervisor")
    RINGTONE_REVIEWER = "ringtone_reviewer", _("Ringtone reviewer")
    VIDEO_ANALYST = "video_analyst", _("Video analyst")
    HOTLINE_AGENT = "hotline_agent", _("Hotline agent")
    HOTLINE_DISPATCHER = "hotline_dispatcher", _("Hotline dispatcher")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    SUBSCRIBER = "subscriber", _("Subscriber")


STAFF_ROLES = frozenset(Role.values) - {Role.SUBSCRIBER}
