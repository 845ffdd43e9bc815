"""Where one-time codes go. Production plugs the operator's SMS gateway in via SMS_SENDER."""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("suite.sms")


class SmsSender(Protocol):
    def send(self, *, phone: str, text: str) -> None: ...


class LoggingSmsSender:
    """The embedded sender: writes the message to the log instead of sending it."""

    def send(self, *, phone: str, text: str) -> None:
        # The phone is masked by the logging filter; the text (with the code) is not personal data.
        logger.warning("SMS to %s: %s", phone, text)


def get_sms_sender() -> SmsSender:
    return import_string(settings.SMS_SENDER)()
