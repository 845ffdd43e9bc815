import csv
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation

from suite.celery import app
from suite.jobs.models import Job
from suite.jobs.services import job_set_progress
from suite.jobs.tasks_base import TenantJobTask
from suite.privacy import mask_text
from suite.tenancy.models import Tenant

from .labels import audit_action_label, audit_object_label
from .selectors import audit_entries

EXPORT_KIND = "audit.export_csv"
COLUMNS = [
    "time", "actor", "action", "action_label", "object_type", "object_id", "object", "ip",
]  # fmt: skip


def export_path(job: Job) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / str(job.tenant_id) / f"{job.pk}.csv"


class AuditExportTask(TenantJobTask):
    name = "suite.audit.export_csv"

    def execute(self, job: Job, tenant: Tenant) -> dict:
        entries = audit_entries(tenant=tenant).order_by("created_at", "id")
        total = entries.count()
        path = export_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Codes for machines, labels for the auditor reading it in a spreadsheet (in the
        # suite's default language: a worker has no request to take one from).
        with (
            path.open("w", newline="", encoding="utf-8-sig") as handle,
            translation.override(settings.LANGUAGE_CODE),
        ):
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for done, entry in enumerate(entries.iterator(chunk_size=500), start=1):
                writer.writerow(
                    [
                        timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                        mask_text(entry.actor_label),
                        entry.action,
                        audit_action_label(entry.action),
                        entry.object_type,
                        entry.object_id,
                        audit_object_label(entry.object_type, entry.object_id),
                        entry.ip or "",
                    ]
                )
                if done % 500 == 0:
                    job_set_progress(job=job, progress=done * 100 // max(total, 1))
        return {"rows": total, "filename": f"audit-{tenant.slug}-{job.pk}.csv"}


export_audit_csv = app.register_task(AuditExportTask())
