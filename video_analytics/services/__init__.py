"""Writes: cameras, zones, rules, clips, events and their workflow, webhooks, retention; one
module per noun, all of them importable from here."""

from .cameras import (
    _set_stream as _set_stream,
)
from .cameras import (
    camera_create as camera_create,
)
from .cameras import (
    camera_delete as camera_delete,
)
from .cameras import (
    camera_set_health as camera_set_health,
)
from .cameras import (
    camera_set_snapshot as camera_set_snapshot,
)
from .cameras import (
    camera_stream_url as camera_stream_url,
)
from .cameras import (
    camera_update as camera_update,
)
from .cameras import (
    camera_watch_start as camera_watch_start,
)
from .cameras import (
    face_model as face_model,
)
from .cameras import (
    people_models as people_models,
)
from .clips import (
    clip_analysis_start as clip_analysis_start,
)
from .events import (
    ALERTS_GROUP as ALERTS_GROUP,
)
from .events import (
    analysis_event as analysis_event,
)
from .events import (
    event_acknowledge as event_acknowledge,
)
from .events import (
    event_attach_clip as event_attach_clip,
)
from .events import (
    event_create as event_create,
)
from .events import (
    event_payload as event_payload,
)
from .events import (
    event_resolve as event_resolve,
)
from .retention import (
    retention_set as retention_set,
)
from .retention import (
    retention_sweep as retention_sweep,
)
from .rules import (
    rule_delete as rule_delete,
)
from .rules import (
    rule_save as rule_save,
)
from .rules import (
    zone_delete as zone_delete,
)
from .rules import (
    zone_save as zone_save,
)
from .webhooks import (
    WEBHOOK_MAX_ATTEMPTS as WEBHOOK_MAX_ATTEMPTS,
)
from .webhooks import (
    webhook_attempt as webhook_attempt,
)
from .webhooks import (
    webhook_endpoint_create as webhook_endpoint_create,
)
from .webhooks import (
    webhook_endpoint_delete as webhook_endpoint_delete,
)
from .webhooks import (
    webhook_endpoint_set_enabled as webhook_endpoint_set_enabled,
)
from .webhooks import (
    webhook_endpoint_update as webhook_endpoint_update,
)
from .webhooks import (
    webhook_host_allowed as webhook_host_allowed,
)
from .webhooks import (
    webhook_secret_rotate as webhook_secret_rotate,
)
from .webhooks import (
    webhook_signature as webhook_signature,
)
