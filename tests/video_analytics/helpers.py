from datetime import UTC, datetime

import numpy as np

from video_analytics import services, storage
from video_analytics.models import Camera, Event


def make_event(
    camera: Camera,
    *,
    description="闯入 柜台内侧",
    ocr_text="",
    kind="intrusion",
    severity="high",
    zone=None,
    at=None,
    track=None,
) -> Event:
    snapshot = storage.save_jpeg(
        camera.tenant_id, "events/test", np.full((48, 64, 3), 90, np.uint8)
    )
    return services.event_create(
        camera=camera,
        kind=kind,
        severity=severity,
        description=description,
        occurred_at=at or datetime(2026, 5, 4, 10, 0, tzinfo=UTC),
        snapshot=snapshot,
        ocr_text=ocr_text,
        zone=zone,
        track=track,
    )
