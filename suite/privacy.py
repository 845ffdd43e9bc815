"""Masking of personal data before it reaches a log line, a list view or a model prompt."""

import logging
import re

# Mainland mobile numbers, optionally with +86/86 prefix and separators.
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?(1[3-9]\d)[-\s]?(\d{4})[-\s]?(\d{4})(?!\d)")
# 18-digit resident ID numbers (last char may be X).
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
# Landlines such as 0755-12345678 or 020 8888 6666.
_LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})[-\s]?(\d{3,4})[-\s]?(\d{4})(?!\d)")


def mask_phone(phone: str | None) -> str:
    """138****5678 for a mobile; keep only the last four digits of anything else."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_address(value: str | None) -> str:
    """Keep the area (the first six characters), hide the street, building and room."""
    if not value:
        return ""
    return value[:6] + "****" if len(value) > 6 else "*" * len(value)


def mask_name(value: str | None) -> str:
    """王** for 王小明: the family name stays so a caller can still be addressed politely."""
    if not value:
        return ""
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_text(text: str) -> str:
    """Mask every phone and ID number found in free text."""
    text = _ID_RE.sub(lambda m: f"{m.group(1)[:3]}{'*' * 11}{m.group(2)}", text)
    text = _MOBILE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return _LANDLINE_RE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)


class MaskPiiFilter(logging.Filter):
    """Rewrites the formatted message so no handler ever sees raw personal data."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg = masked
            record.args = None
        return True
