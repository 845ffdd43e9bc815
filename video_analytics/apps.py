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
    periodic_tasks = {
        "video-analytics-retention": {
            "task": "video_analytics.retention_sweep",
            "schedule": 24 * 60 * 60,
        },
        # Stands aside while `manage.py watch_cameras` runs (it checks the supervisor's heartbeat).
        "video-analytics-streams": {"task": "video_analytics.watch_streams", "schedule": 60},
    }
