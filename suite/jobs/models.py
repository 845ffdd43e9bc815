import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suite.tenancy.models import TenantOwnedModel


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Job(TenantOwnedModel):
    """A unit of background work any module can start and show progress for."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=100, db_index=True)
    status = models.CharField(
        max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=200)
    attempts = models.PositiveSmallIntegerField(default=0)
    # What the lease sweep needs to send the job again: the task's registered name and queue.
    task_name = models.CharField(max_length=200, blank=True)
    queue = models.CharField(max_length=40, default="default", db_index=True)
    # A running job holds a lease that its worker renews (progress and a heartbeat); once it
    # lapses the worker is presumed dead and `job_sweep_lost` re-queues or fails the job.
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The Celery task id holding the lease: a redelivery of that same message may take the job
    # over, any other copy (a late redelivery after a sweep re-queued it) stands aside.
    lease_owner = models.CharField(max_length=255, blank=True)
    requeues = models.PositiveSmallIntegerField(default=0)
    # When the job last joined its queue (a re-queued job goes to the back): orders positions.
    queued_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "queue", "queued_at"], name="job_queue_order")]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="uniq_job_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Backoff(TenantOwnedModel):
    """When recurring background work on one thing (a camera's stream, keyed "camera:<id>")
    may run again: exponential back-off after failures, and a hold while one run is queued or
    under way so a periodic scheduler never piles up runs of the same thing. Lives in the
    database because the embedded default's cache is per process."""

    key = models.CharField(max_length=120)
    failures = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    held_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="uniq_backoff_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.failures} failures)"
