from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from suite.tenancy.roles import Role


class VideoAnalyticsConfig(AppConfig):
    name = "video_analytics"
    label = "video_analytics"
    verbose_name = _("Video analytics")
    url_prefix = "video-analytics"
    description = _(
        "Camera-network analysis: detection, rules, events, alerts, privacy blurring and search."
    )
    roles = (Role.TENANT_ADMIN, Role.VIDEO_ANALYST)
