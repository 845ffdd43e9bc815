"""Per-tenant dialect lexicon and agent dialect skills."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from suite.tenancy.models import Tenant

from ..models import AgentSkill, Dialect, LexiconEntry
from ..roles import STAFF


def _clean(dialect: str, term: str, mandarin: str) -> tuple[str, str, str]:
    term, mandarin = (term or "").strip(), (mandarin or "").strip()
    errors = {}
    if dialect not in Dialect.values or dialect == Dialect.MANDARIN:
        errors["dialect"] = _("Choose one of cantonese, sichuanese, shanghainese, northeastern.")
    if not term:
        errors["term"] = _("The dialect term is empty.")
    elif len(term) > 40:
        errors["term"] = _("The dialect term is longer than 40 characters.")
    if len(mandarin) > 40:
        errors["mandarin"] = _("The Mandarin text is longer than 40 characters.")
    if errors:
        raise ValidationError(errors)
    return dialect, term, mandarin


@transaction.atomic
def lexicon_entry_create(*, tenant: Tenant, dialect: str, term: str, mandarin: str) -> LexiconEntry:
    dialect, term, mandarin = _clean(dialect, term, mandarin)
    try:
        with transaction.atomic():
            return LexiconEntry.objects.create(
                tenant=tenant, dialect=dialect, term=term, mandarin=mandarin
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"term": _("“%(term)s” is already in the lexicon.") % {"term": term}}
        ) from exc


@transaction.atomic
def lexicon_entry_update(*, entry: LexiconEntry, mandarin: str) -> LexiconEntry:
    _dialect, _term, entry.mandarin = _clean(entry.dialect, entry.term, mandarin)
    entry.save(update_fields=["mandarin"])
    return entry


@transaction.atomic
def lexicon_entry_delete(*, entry: LexiconEntry) -> None:
    entry.delete()


@transaction.atomic
def agent_skill_set(*, tenant: Tenant, user, dialects: list[str]) -> AgentSkill:
    """The dialects an agent serves; handoffs in other dialects are not offered to them."""
    from suite.tenancy.selectors import user_has_role

    if not user_has_role(user, tenant, *STAFF):
        raise ValidationError({"user": _("This user is not an agent of this tenant.")})
    unknown = sorted(set(dialects) - set(Dialect.values))
    if unknown:
        raise ValidationError(
            {"dialects": _("Unknown dialects: %(d)s.") % {"d": ", ".join(unknown)}}
        )
    ordered = [d for d in Dialect.values if d in set(dialects)]
    skill, _created = AgentSkill.objects.update_or_create(
        tenant=tenant, user=user, defaults={"dialects": ordered}
    )
    return skill
