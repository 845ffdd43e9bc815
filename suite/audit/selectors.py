from django.db.models import QuerySet

from suite.tenancy.models import Tenant

from .models import AuditEntry


def audit_entries(*, tenant: Tenant) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.for_tenant(tenant).select_related("actor")
