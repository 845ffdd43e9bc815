"""The operator's ringtone platform behind one small interface, and a local simulator.

`provision` and `deprovision` are idempotent by `request_id` (we send the assignment's id):
a retry after a timeout never sets a ringtone twice. A transient failure raises
`PlatformTransientError`, which the provisioning job retries with back-off; anything else is
final. `VIDEO_RINGTONE_PLATFORM` names the adapter class (the simulator by default).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import time
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .models import SimulatedProvision


class PlatformError(Exception):
    """The platform refused the request; retrying will not help."""


class PlatformTransientError(PlatformError):
    """The platform is busy or unreachable; try again later."""


@dataclass(frozen=True)
class ProvisionRequest:
    tenant_id: int
    request_id: str
    phone: str
    content_id: str
    video_path: str
    start_time: time | None
    end_time: time | None
    caller_group: str
    renditions: dict[str, str] = field(default_factory=dict)  # device profile -> file


class RingtonePlatform(Protocol):
    def provision(self, request: ProvisionRequest) -> str:
        """Returns the platform's reference for the setting."""

    def deprovision(self, *, tenant_id: int, request_id: str, platform_ref: str) -> None: ...


class SimulatorPlatform:
    """Keeps what the real platform would hold in a table; `fail_next` injects transient
    failures (for the demo's resilience and for tests)."""

    fail_next = 0

    def _maybe_fail(self) -> None:
        if SimulatorPlatform.fail_next > 0:
            SimulatorPlatform.fail_next -= 1
            raise PlatformTransientError("simulated platform timeout")

    def provision(self, request: ProvisionRequest) -> str:
        self._maybe_fail()
        if not request.phone.isdigit():
            raise PlatformError(f"invalid number {request.phone!r}")
        existing = SimulatedProvision.objects.filter(request_id=request.request_id).first()
        if existing is not None:
            return existing.platform_ref
        row = SimulatedProvision.objects.create(
            tenant_id=request.tenant_id,
            request_id=request.request_id,
            platform_ref=f"SIM-{uuid.uuid4().hex[:16].upper()}",
            phone=request.phone,
            content_id=request.content_id,
            windows={
                "start": request.start_time.isoformat() if request.start_time else None,
                "end": request.end_time.isoformat() if request.end_time else None,
                "caller_group": request.caller_group,
            },
            renditions=request.renditions,
        )
        return row.platform_ref

    def deprovision(self, *, tenant_id: int, request_id: str, platform_ref: str) -> None:
        self._maybe_fail()
        SimulatedProvision.objects.filter(tenant_id=tenant_id, request_id=request_id).update(
            active=False
        )


def get_platform() -> RingtonePlatform:
    path = settings.VIDEO_RINGTONE_PLATFORM
    return import_string(path)()
