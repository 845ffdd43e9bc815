"""Limits every part of the hotline's writes shares."""

from __future__ import annotations

MAX_EXTENSION_DAYS = 30
TRAINED_FIELDS = ("request_type", "subcategory")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = (".jpg", ".jpeg", ".png", ".pdf")
