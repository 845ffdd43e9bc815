"""What every write of the product shares: audit entries and who the actor is."""

from __future__ import annotations

from suite.accounts.models import ApiKey
from suite.audit.services import audit_record


def _audit(*, actor=None, **kwargs) -> None:
    """audit_record, with an API key as the actor recorded by its prefix (it is no user)."""
    if isinstance(actor, ApiKey):
        kwargs["actor_label"] = f"api-key {actor.prefix}…"
        actor = None
    audit_record(actor=actor, **kwargs)


def _person(actor):
    """The user to store in a *_by field: none for an API key."""
    return None if isinstance(actor, ApiKey) else actor
