from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from suite.tenancy.roles import Role


class VideoRingtoneConfig(AppConfig):
    name = "video_ringtone"
    label = "video_ringtone"
    verbose_name = _("Video ringtones")
    url_prefix = "video-ringtone"
    description = _("AIGC 5G video ringtone creation, review and publishing.")
    roles = (Role.TENANT_ADMIN, Role.RINGTONE_REVIEWER)
    subscriber_entries = (
        ("video_ringtone:m_home", _("Make a video ringtone")),
        ("video_ringtone:m_gallery", _("Video ringtone gallery")),
    )
