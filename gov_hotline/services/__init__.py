"""Writes of the hotline: the catalogue, work orders and their whole workflow, one module per
part, all of them importable from here.

Every function takes the tenant (or a tenant-owned object already fetched through the tenant's
queryset) explicitly, validates before it writes, and records an OrderEvent for the history."""

from .catalogue import (
    catalogue_install_defaults as catalogue_install_defaults,
)
from .catalogue import (
    category_create as category_create,
)
from .catalogue import (
    category_set_active as category_set_active,
)
from .catalogue import (
    department_member_set as department_member_set,
)
from .catalogue import (
    dispatch_rule_set as dispatch_rule_set,
)
from .catalogue import (
    district_create as district_create,
)
from .catalogue import (
    holiday_set as holiday_set,
)
from .catalogue import (
    sla_rule_set as sla_rule_set,
)
from .catalogue import (
    tenant_default_districts as tenant_default_districts,
)
from .common import (
    EVIDENCE_TYPES as EVIDENCE_TYPES,
)
from .common import (
    MAX_EVIDENCE_BYTES as MAX_EVIDENCE_BYTES,
)
from .common import (
    MAX_EXTENSION_DAYS as MAX_EXTENSION_DAYS,
)
from .common import (
    TRAINED_FIELDS as TRAINED_FIELDS,
)
from .deadlines import (
    REMIND_BEFORE as REMIND_BEFORE,
)
from .deadlines import (
    open311_feed_set as open311_feed_set,
)
from .deadlines import (
    sla_sweep as sla_sweep,
)
from .dispatch import (
    assignment_accept as assignment_accept,
)
from .dispatch import (
    assignment_evidence_attach as assignment_evidence_attach,
)
from .dispatch import (
    assignment_reply as assignment_reply,
)
from .dispatch import (
    assignment_return as assignment_return,
)
from .dispatch import (
    evidence_check as evidence_check,
)
from .dispatch import (
    extension_decide as extension_decide,
)
from .dispatch import (
    extension_request as extension_request,
)
from .dispatch import (
    order_close as order_close,
)
from .dispatch import (
    order_dispatch as order_dispatch,
)
from .dispatch import (
    order_send_back as order_send_back,
)
from .dispatch import (
    order_transfer as order_transfer,
)
from .dispatch import (
    visit_record as visit_record,
)
from .orders import (
    intake_confirm as intake_confirm,
)
from .orders import (
    order_create as order_create,
)
from .orders import (
    order_merge as order_merge,
)
from .orders import (
    resolve_category as resolve_category,
)
from .orders import (
    resolve_district as resolve_district,
)
