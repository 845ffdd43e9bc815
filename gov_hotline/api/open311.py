"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/): services, service
definitions, requests, in JSON and XML by the `.json` / `.xml` suffix. The jurisdiction is the
tenant of the API key (`api_key` parameter as the spec says, or a Bearer header), scope
`hotline`; a `jurisdiction_id` naming another tenant is 404, like one that does not exist.

Without a key, the spec's GETs (services, a service definition, requests, one request, a token)
answer when `jurisdiction_id` names a tenant whose Open311Feed has `public_reads` on (off by
default: then, as for any tenant that is not public, the key is required). Creating a request
always needs the key. The feed is masked either way: no contact names or phone numbers, the
address cut to its area. `discovery` (the spec's service discovery) is public; anything else under
the Open311 prefix answers the spec's error list, never an HTML page."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from xml.etree import ElementTree as ET

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import FormParser, MultiPartParser

from suite.accounts.authentication import ApiKeyPrincipal, BearerAuthentication, api_key_from_raw
from suite.ai import gateway
from suite.api.parsers import JSONParser
from suite.api.viewsets import TenantAPIView
from suite.privacy import mask_address, mask_name, mask_text
from suite.tenancy.models import Tenant

from ..intake import order_from_text
from ..models import OPEN_STATUSES, Category, Channel, Open311Feed, Urgency, WorkOrder
from ..selectors import orders_for

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed in a way an integrator would notice (the discovery changeset).
CHANGESET = "2026-12-06T00:00:00+08:00"
FORMATS = ["application/json", "text/xml"]
READS = ("GET", "HEAD")


class Open311KeyAuthentication(BaseAuthentication):
    """The spec's `api_key` parameter (query string or form body)."""

    def authenticate(self, request):
        raw = request.query_params.get("api_key") or request._request.POST.get("api_key")
        if not raw:
            return None
        key = api_key_from_raw(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        request._request.api_key = key
        request._request.tenant = key.tenant
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request) -> str:
        return "Bearer"


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        self.status = status
        self.description = description


def _xml(root: str, item: str, rows: list[dict]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        top.append(_element(item, row))
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _element(tag: str, value) -> ET.Element:
    el = ET.Element(tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, list):
                holder = ET.SubElement(el, key)
                child_tag = key[:-1] if key.endswith("s") else key
                for entry in inner:
                    holder.append(_element(child_tag, entry))
            else:
                el.append(_element(key, inner))
    elif value is None:
        pass
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    else:
        el.text = str(value)
    return el


def respond(fmt: str, root: str, item: str, rows, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = (
            _xml(root, item, rows)
            if isinstance(rows, list)
            else (
                b'<?xml version="1.0" encoding="utf-8"?>'
                + ET.tostring(_element(root, rows), encoding="utf-8")
            )
        )
        return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    import json

    return HttpResponse(
        json.dumps(rows, ensure_ascii=False), content_type="application/json", status=status
    )


def error_response(fmt: str, status: int, description: str) -> HttpResponse:
    return respond(fmt, "errors", "error", [{"code": status, "description": description}], status)


class Open311View(TenantAPIView):
    # GeoReport v2 has its own specification; it stays out of the suite's OpenAPI document.
    schema = None
    api_key_scope = "hotline"
    authentication_classes = [Open311KeyAuthentication, BearerAuthentication]
    parser_classes = [FormParser, MultiPartParser, JSONParser]

    def handle_exception(self, exc):
        fmt = self.kwargs.get("fmt", "json")
        if isinstance(exc, Open311Error):
            return error_response(fmt, exc.status, exc.description)
        if isinstance(exc, Http404 | ObjectDoesNotExist):
            return error_response(fmt, 404, _("Not found."))
        if isinstance(exc, ValidationError):
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            text = "; ".join(
                f"{k}: {' '.join(map(str, v))}" if k else " ".join(map(str, v))
                for k, v in messages.items()
            )
            return error_response(fmt, 400, text)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return error_response(fmt, 401, str(exc.detail))
        if isinstance(exc, exceptions.APIException):
            return error_response(fmt, exc.status_code, str(exc.detail))
        return super().handle_exception(exc)

    def check_permissions(self, request):
        # The spec's reads are public where the tenant said so; every other call (and every
        # read of a tenant that did not) goes through the key and scope checks as before.
        if request.method in READS and not request.user.is_authenticated:
            request._request.tenant = self.public_tenant(request)
            return
        super().check_permissions(request)

    def public_tenant(self, request) -> Tenant:
        slug = request.query_params.get("jurisdiction_id") or ""
        tenant = Tenant.objects.filter(slug=slug, is_active=True).first() if slug.strip() else None
        if (
            tenant is None
            or not Open311Feed.objects.for_tenant(tenant).filter(public_reads=True).exists()
        ):
            # One answer for an unknown tenant and a private one: the key-less call learns
            # nothing about which tenants exist.
            raise exceptions.NotAuthenticated(
                _(
                    "An api_key is required: this jurisdiction_id has no public Open311 feed "
                    "(or none was given)."
                )
            )
        return tenant

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        jurisdiction = request.query_params.get("jurisdiction_id") or request.data.get(
            "jurisdiction_id"
        )
        if jurisdiction and jurisdiction != self.tenant.slug:
            raise Open311Error(404, _("Unknown jurisdiction_id."))

    def service(self, code: str) -> Category:
        if not code.startswith("c") or not code[1:].isdigit():
            raise Open311Error(404, _("Unknown service_code."))
        sub = (
            Category.objects.for_tenant(self.tenant)
            .filter(pk=int(code[1:]), parent__isnull=False, is_active=True)
            .select_related("parent")
            .first()
        )
        if sub is None:
            raise Open311Error(404, _("Unknown service_code."))
        return sub


def _service(sub: Category) -> dict:
    # Only subcategories (parent__isnull=False) are services, so the parent is there.
    parent = cast(Category, sub.parent)
    return {
        "service_code": sub.code,
        "service_name": sub.name,
        "description": f"{parent.name} / {sub.name}",
        "metadata": True,
        "type": "batch",
        "keywords": f"{parent.name},{sub.name}",
        "group": parent.name,
    }


class ServicesView(Open311View):
    def get(self, request, fmt):
        subs = (
            Category.objects.for_tenant(self.tenant)
            .filter(parent__isnull=False, is_active=True, parent__is_active=True)
            .select_related("parent")
            .order_by("parent__position", "position")
        )
        return respond(fmt, "services", "service", [_service(s) for s in subs])


class ServiceDefinitionView(Open311View):
    def get(self, request, code, fmt):
        sub = self.service(code)
        definition = {
            "service_code": sub.code,
            "attributes": [
                {
                    "variable": True,
                    "code": "urgency",
                    "datatype": "singlevaluelist",
                    "required": False,
                    "datatype_description": "",
                    "order": 1,
                    "description": "紧急程度",
                    "values": [{"key": u.value, "name": str(u.label)} for u in Urgency],
                }
            ],
        }
        return respond(fmt, "service_definition", "", definition)


def _status(order: WorkOrder) -> str:
    return "open" if order.status in OPEN_STATUSES else "closed"


def _public_description(order: WorkOrder) -> str:
    """The summary with phone and ID numbers masked, and the caller's name where it appears."""
    text = mask_text(order.summary)
    name = order.contact_name.strip()
    for variant in {name, name.replace(" ", "")}:
        if len(variant) >= 2:
            text = text.replace(variant, mask_name(variant))
    return text


def _request_row(order: WorkOrder) -> dict:
    lead = next(
        (a for a in order.assignments.all() if a.role == "lead" and a.status != "withdrawn"), None
    )
    return {
        "service_request_id": order.number,
        "status": _status(order),
        "status_notes": order.get_status_display(),
        "service_name": order.subcategory.name if order.subcategory else "",
        "service_code": order.subcategory.code if order.subcategory else "",
        # A public feed: personal data stays masked here, even for one request.
        "description": _public_description(order),
        "agency_responsible": lead.department.name if lead else "",
        "service_notice": "",
        "requested_datetime": timezone.localtime(order.created_at).isoformat(),
        "updated_datetime": timezone.localtime(order.updated_at).isoformat(),
        "expected_datetime": timezone.localtime(order.due_at).isoformat() if order.due_at else "",
        "address": mask_address(order.address),
        "address_id": "",
        "zipcode": "",
        # null (an empty element in XML) when the request has no coordinates.
        "lat": order.latitude,
        "long": order.longitude,
        "media_url": "",
    }


def _parse_date(value: str, name: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise Open311Error(
            400, _("%(name)s must be a W3C datetime (2026-01-31T08:00:00+08:00).") % {"name": name}
        )
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


class RequestsView(Open311View):
    def get(self, request, fmt):
        params = request.query_params
        orders = orders_for(self.tenant).prefetch_related("assignments__department")
        ids = params.get("service_request_id")
        if ids:
            orders = orders.filter(number__in=[i.strip() for i in ids.split(",") if i.strip()])
        else:
            if params.get("service_code"):
                codes = [self.service(c.strip()).pk for c in params["service_code"].split(",")]
                orders = orders.filter(subcategory_id__in=codes)
            end = (
                _parse_date(params["end_date"], "end_date")
                if params.get("end_date")
                else timezone.now()
            )
            start = (
                _parse_date(params["start_date"], "start_date")
                if params.get("start_date")
                else end - timezone.timedelta(days=DEFAULT_DAYS)
            )
            if start > end:
                raise Open311Error(400, _("start_date must be before end_date."))
            orders = orders.filter(created_at__gte=start, created_at__lte=end)
            status = params.get("status")
            if status:
                wanted = {s.strip() for s in status.split(",")}
                if not wanted <= {"open", "closed"}:
                    raise Open311Error(400, _("status must be open or closed."))
                if wanted == {"open"}:
                    orders = orders.filter(status__in=OPEN_STATUSES)
                elif wanted == {"closed"}:
                    orders = orders.exclude(status__in=OPEN_STATUSES)
        rows = [_request_row(o) for o in orders.order_by("-created_at")[:MAX_REQUESTS]]
        return respond(fmt, "service_requests", "request", rows)

    def post(self, request, fmt):
        data = request.data
        code = (data.get("service_code") or "").strip()
        if not code:
            raise Open311Error(400, _("service_code is required."))
        sub = self.service(code)
        lat, lon = data.get("lat"), data.get("long")
        address = (data.get("address_string") or "").strip()
        address_id = (data.get("address_id") or "").strip()
        if not address and not address_id and (lat in (None, "") or lon in (None, "")):
            raise Open311Error(
                400, _("A location is required: lat and long, address_string or address_id.")
            )
        try:
            lat_f = float(lat) if lat not in (None, "") else None
            lon_f = float(lon) if lon not in (None, "") else None
        except (TypeError, ValueError) as exc:
            raise Open311Error(400, _("lat and long must be decimal degrees.")) from exc
        if (lat_f is not None and not -90 <= lat_f <= 90) or (
            lon_f is not None and not -180 <= lon_f <= 180
        ):
            raise Open311Error(400, _("lat and long are out of range."))
        description = (data.get("description") or "").strip()
        if not description:
            raise Open311Error(400, _("description is required: say what the problem is."))
        urgency = data.get("attribute[urgency]") or ""
        if urgency and urgency not in Urgency.values:
            raise Open311Error(400, _("attribute[urgency] must be normal, urgent or critical."))
        name = " ".join(p for p in (data.get("last_name"), data.get("first_name")) if p).strip()
        caller = gateway.Caller(
            tenant=self.tenant,
            api_key=getattr(request._request, "api_key", None),
            request=request._request,
        )
        order = order_from_text(
            caller=caller,
            channel=Channel.OPEN311,
            request=request._request,
            overrides={
                "text": description,
                "category": sub.parent.name,
                "subcategory": sub.name,
                "address": address or address_id,
                "urgency": urgency,
                "contact_name": name[:60],
                "contact_phone": (data.get("phone") or "")[:20],
                "latitude": lat_f,
                "longitude": lon_f,
            },
        )
        row = {"service_request_id": order.number, "service_notice": "", "account_id": None}
        return respond(fmt, "service_requests", "request", [row], status=201)


class RequestView(Open311View):
    def get(self, request, request_id, fmt):
        order = (
            orders_for(self.tenant)
            .prefetch_related("assignments__department")
            .filter(number=request_id)
            .first()
        )
        if order is None:
            raise Open311Error(404, _("Unknown service_request_id."))
        return respond(fmt, "service_requests", "request", [_request_row(order)])


class TokenView(Open311View):
    """The spec's token lookup. Requests are created at once, so the POST already answers the
    service_request_id, which is also the request's token."""

    def get(self, request, token, fmt):
        number = (
            WorkOrder.objects.for_tenant(self.tenant)
            .filter(number=token)
            .values_list("number", flat=True)
            .first()
        )
        if number is None:
            raise Open311Error(404, _("Unknown token."))
        row = {"token": token, "service_request_id": number}
        return respond(fmt, "service_requests", "request", [row])


def _format(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


@csrf_exempt
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """The spec's service discovery document: the same for every tenant, no key needed."""
    if request.method not in READS:
        return error_response(fmt, 405, _("Only GET is allowed here."))
    # The endpoint's base: where services.json, requests.json and the rest are found.
    base = reverse("api:gh-open311-services", kwargs={"fmt": "json"}).removesuffix("services.json")
    document = {
        "changeset": CHANGESET,
        "contact": _("For help with this API, contact your 12345 hotline center."),
        "key_service": _(
            "A hotline center's administrator issues API keys with the hotline scope on "
            "this page: %(url)s"
        )
        % {"url": request.build_absolute_uri(reverse("portal:api_keys"))},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri(base),
                "changeset": CHANGESET,
                "type": "production",
                "formats": FORMATS,
            }
        ],
    }
    return respond(fmt, "discovery", "", document)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under the Open311 prefix: the spec's error list, in the format asked."""
    return error_response(_format(request.path), 404, _("No such Open311 resource."))
