"""Celery tasks of the hotline: they take ids and call services."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.types import Capability
from suite.celery import app
from suite.jobs.models import Job
from suite.jobs.services import job_set_progress
from suite.jobs.tasks_base import TenantJobTask
from suite.tenancy.models import Tenant


def report_path(job: Job) -> Path:
    fmt = job.params.get("format", "xlsx")
    return (
        Path(settings.MEDIA_ROOT)
        / "gov_hotline"
        / "reports"
        / str(job.tenant_id)
        / f"{job.pk}.{fmt}"
    )


class TrainClassifierTask(TenantJobTask):
    name = "gov_hotline.train_classifier"

    def execute(self, job: Job, tenant: Tenant) -> dict:
        from .training import classifier_train

        model = classifier_train(
            tenant=tenant,
            caller=gateway.Caller(tenant=tenant, user=job.created_by),
            progress=lambda p, m: job_set_progress(job=job, progress=p, message=m),
            job=job,
        )
        return {"version": model.version, "examples": model.examples, "metrics": model.metrics}


class ReportTask(TenantJobTask):
    name = "gov_hotline.report"

    def execute(self, job: Job, tenant: Tenant) -> dict:
        from .reports import render, report_data

        def step(percent: int, message: str) -> None:
            job_set_progress(job=job, progress=percent, message=message)

        step(5, _("Counting the period's orders"))
        data = report_data(tenant, job.params["period"])
        step(50, _("Drawing the report"))
        content = render(data, job.params["format"])
        step(90, _("Saving the file"))
        path = report_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return {"file": path.name, "total": data["total"], "period": data["period"]}


class TranscribeIntakeTask(TenantJobTask):
    """A stored recording to transcript and draft; runs where the ASR model is loaded."""

    name = "gov_hotline.transcribe_intake"
    route_queue = gateway.QUEUE_FOR[Capability.TRANSCRIBE]

    def execute(self, job: Job, tenant: Tenant) -> dict:
        from .intake import recording_intake_process
        from .models import RecordingIntake

        intake = RecordingIntake.objects.for_tenant(tenant).get(pk=job.params["intake"])
        recording_intake_process(
            intake=intake,
            caller=gateway.Caller(tenant=tenant, user=job.created_by),
            progress=lambda p, m: job_set_progress(job=job, progress=p, message=m),
        )
        return {"intake": intake.pk, "characters": len(intake.text)}


train_classifier = app.register_task(TrainClassifierTask())
transcribe_intake = app.register_task(TranscribeIntakeTask())
build_report = app.register_task(ReportTask())


@app.task(name="gov_hotline.sweep")
def sweep() -> dict:
    """Periodic: SLA reminders/escalations and hotspot warnings for every hotline tenant."""
    from .hotspots import hotspot_scan
    from .models import Category
    from .services import sla_sweep

    totals = {"tenants": 0, "reminded": 0, "escalated": 0, "alerts": 0}
    tenant_ids = Category.objects.values_list("tenant_id", flat=True).distinct()
    for tenant in Tenant.objects.filter(pk__in=tenant_ids, is_active=True):
        counts = sla_sweep(tenant=tenant)
        totals["tenants"] += 1
        totals["reminded"] += counts["reminded"]
        totals["escalated"] += counts["escalated"]
        totals["alerts"] += len(hotspot_scan(tenant=tenant))
    return totals
