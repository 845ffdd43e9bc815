"""REST API of the hotline (`/api/v1/gov-hotline/`): drafting, orders and the workflow
(dispatch, merge, return visit, close; departments accept, return, ask for time, attach
evidence, reply; extension decisions; the orders' evidence files), the departments, and call
recordings turned into orders (intakes). Thin: services decide, and enforce the states."""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from suite.ai import gateway
from suite.api.viewsets import TenantAPIView, TenantScopedMixin

from .. import roles, selectors, services
from ..drafting import draft_build
from ..intake import order_from_intake, order_from_text, recording_intake_start
from ..models import (
    Assignment,
    Department,
    ExtensionRequest,
    RecordingIntake,
    WorkOrder,
)
from . import serializers as s


def _user(view):
    return view.request.user if getattr(view.request.user, "pk", None) else None


def _require(view, allowed) -> None:
    """Users need one of the `allowed` roles for this action; an API key with the view's scope
    is the integrating hotline platform and may act."""
    from suite.tenancy.selectors import user_has_role

    user = _user(view)
    if user is not None and not user_has_role(user, view.tenant, *allowed):
        raise PermissionDenied(_("Your role cannot do this."))


def _body(serializer_class, request):
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _evidence_file(assignment: Assignment) -> FileResponse:
    if not assignment.evidence:
        raise NotFound(_("No evidence is attached to this assignment."))
    try:
        handle = assignment.evidence.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound(_("No evidence is attached to this assignment.")) from exc
    # Always a download, never rendered inline in the API's origin.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=s.evidence_name(assignment),
        content_type=s.evidence_content_type(assignment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def caller_of(view) -> gateway.Caller:
    request = view.request._request
    return gateway.Caller(
        tenant=view.tenant,
        user=view.request.user if getattr(view.request.user, "pk", None) else None,
        api_key=getattr(request, "api_key", None),
        request=request,
    )


class DraftView(TenantAPIView):
    """The filled draft of an order from a text, not saved."""

    api_key_scope = "hotline"
    required_roles = roles.AGENT
    serializer_class = s.DraftRequestSerializer

    @extend_schema(request=s.DraftRequestSerializer, responses=dict)
    def post(self, request):
        body = s.DraftRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(draft_build(caller=caller_of(self), text=body.validated_data["text"]))


class OrderViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Orders: web/mobile/integrator submissions are drafted automatically, then saved."""

    api_key_scope = "hotline"
    required_roles = roles.AGENT
    personal_data_roles = roles.AGENT
    queryset = WorkOrder.objects.select_related("category", "subcategory", "district")
    serializer_class = s.OrderSerializer
    filterset_fields = ["status", "request_type", "urgency"]
    ordering_fields = ["created_at", "due_at"]

    def create(self, request):
        body = s.OrderCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = order_from_text(
            caller=caller_of(self), overrides=body.validated_data, request=request._request
        )
        data = s.OrderSerializer(order).data
        data["message"] = _("Order %(n)s created.") % {"n": order.number}
        return Response(data, status=status.HTTP_201_CREATED)

    def _done(self, order: WorkOrder, message: str) -> Response:
        order.refresh_from_db()
        data = s.OrderSerializer(order).data
        data["message"] = message
        return Response(data)

    # Not named `dispatch`: that is APIView's request entry point.
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_to(self, request, pk=None):
        _require(self, roles.DISPATCH)
        order = self.get_object()
        data = _body(s.DispatchSerializer, request)
        departments = Department.objects.for_tenant(self.tenant).filter(is_active=True)
        chosen = departments.in_bulk([data["lead"], *data["co"]])
        missing = [i for i in [data["lead"], *data["co"]] if i not in chosen]
        if missing:
            raise ValidationError({"lead": _("Unknown department: %(ids)s.") % {"ids": missing}})
        reasons = {
            x.department.pk: "；".join(x.reasons) for x in selectors.dispatch_suggestions(order)
        }
        services.order_dispatch(
            order=order,
            lead=chosen[data["lead"]],
            co=[chosen[i] for i in data["co"] if i != data["lead"]],
            reasons=reasons,
            note=data["note"],
            user=_user(self),
        )
        return self._done(order, _("Order dispatched."))

    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        _require(self, roles.DISPATCH)
        order = self.get_object()
        ids = _body(s.MergeSerializer, request)["duplicates"]
        dups = list(selectors.orders_for(self.tenant).filter(pk__in=ids))
        if len(dups) != len(set(ids)):
            raise ValidationError({"duplicates": _("Some of these orders do not exist.")})
        services.order_merge(main=order, duplicates=dups, user=_user(self))
        return self._done(order, _("%(n)d order(s) merged into this one.") % {"n": len(dups)})

    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Closes a replied order: the dispatcher accepts the departments' answer."""
        _require(self, roles.DISPATCH)
        order = self.get_object()
        services.order_close(order=order, user=_user(self))
        return self._done(order, _("Order closed."))

    @action(detail=True, methods=["post"], url_path="return-visit")
    def return_visit(self, request, pk=None):
        order = self.get_object()
        data = _body(s.VisitSerializer, request)
        services.visit_record(order=order, user=_user(self), **data)
        return self._done(order, _("Return visit recorded."))

    @extend_schema(responses=s.EvidenceSerializer(many=True))
    # One order's few files: neither paged nor filtered like the order list.
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def evidence(self, request, pk=None):
        """The evidence files the order's departments attached."""
        order = self.get_object()
        items = selectors.order_evidence(order)
        return Response(s.EvidenceSerializer(items, many=True, context={"request": request}).data)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"evidence/(?P<assignment_id>[0-9]+)",
        url_name="evidence-file",
    )
    def evidence_file(self, request, pk=None, assignment_id=None):
        """One evidence file, as a download; another order's (or tenant's) is a 404."""
        order = self.get_object()
        assignment = selectors.order_evidence(order).filter(pk=int(assignment_id)).first()
        if assignment is None:
            raise NotFound(_("No evidence is attached to this assignment."))
        return _evidence_file(assignment)


class AssignmentViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Departments' assignments. A handler sees only those of their own departments (another
    department's assignment is a 404, like a missing one); dispatchers see all."""

    api_key_scope = "hotline"
    required_roles = roles.DEPARTMENT
    personal_data_roles = roles.DEPARTMENT
    queryset = Assignment.objects.select_related("order", "department")
    serializer_class = s.AssignmentSerializer
    filterset_fields = ["status", "role"]

    def scope_queryset(self, queryset):
        from suite.tenancy.selectors import user_has_role

        user = _user(self)
        if user is not None and not user_has_role(user, self.tenant, *roles.DISPATCH):
            queryset = queryset.filter(department__members=user)
        return queryset

    def _done(self, assignment: Assignment, message: str) -> Response:
        assignment.refresh_from_db()
        data = s.AssignmentSerializer(assignment).data
        data["message"] = message
        return Response(data)

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        assignment = self.get_object()
        services.assignment_accept(assignment=assignment, user=_user(self))
        return self._done(assignment, _("Accepted."))

    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request, pk=None):
        assignment = self.get_object()
        data = _body(s.ObjectionSerializer, request)
        services.assignment_return(
            assignment=assignment, objection=data["objection"], user=_user(self)
        )
        return self._done(assignment, _("Returned to the dispatcher."))

    @extend_schema(request=s.ExtensionAskSerializer, responses={201: s.ExtensionSerializer})
    @action(detail=True, methods=["post"])
    def extension(self, request, pk=None):
        assignment = self.get_object()
        data = _body(s.ExtensionAskSerializer, request)
        ask = services.extension_request(assignment=assignment, user=_user(self), **data)
        return Response(s.ExtensionSerializer(ask).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["POST"],
        request=s.EvidenceUploadSerializer,
        responses={201: s.AssignmentSerializer},
        description="Attaches an evidence file (multipart field `evidence`: JPEG, PNG or PDF, "
        "at most 10 MB) to the accepted assignment, before its reply. The file is checked as "
        "the portal's reply form checks it before anything else reads it; a new file replaces "
        "the earlier one.",
    )
    @extend_schema(
        methods=["GET"],
        responses={(200, "application/octet-stream"): bytes},
        description="The assignment's evidence file, as a download.",
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, pk=None):
        assignment = self.get_object()
        if request.method == "GET":
            return _evidence_file(assignment)
        upload = _body(s.EvidenceUploadSerializer, request)["evidence"]
        services.assignment_evidence_attach(assignment=assignment, upload=upload, user=_user(self))
        response = self._done(assignment, _("Evidence attached."))
        response.status_code = status.HTTP_201_CREATED
        return response

    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        assignment = self.get_object()
        data = _body(s.ReplySerializer, request)
        services.assignment_reply(assignment=assignment, reply=data["reply"], user=_user(self))
        return self._done(assignment, _("Reply sent."))


class ExtensionViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Extension requests; dispatchers approve or reject them."""

    api_key_scope = "hotline"
    required_roles = roles.DISPATCH
    personal_data_roles = roles.DISPATCH
    queryset = ExtensionRequest.objects.order_by("-created_at", "-id")
    serializer_class = s.ExtensionSerializer
    filterset_fields = ["status"]

    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        extension = self.get_object()
        approve = _body(s.DecideSerializer, request)["decision"] == "approve"
        services.extension_decide(extension=extension, approve=approve, user=_user(self))
        extension.refresh_from_db()
        return Response(s.ExtensionSerializer(extension).data)


class DepartmentViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The hotline's departments: the ids a dispatch names as `lead` and `co`."""

    api_key_scope = "hotline"
    required_roles = roles.STAFF
    queryset = Department.objects.all()
    serializer_class = s.DepartmentSerializer
    filterset_fields = ["is_active", "code"]


class IntakeViewSet(
    TenantScopedMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Call recordings turned into drafts: upload one (202, transcribed by a job on the `asr`
    queue), read its state until the job ends, then confirm the order it becomes."""

    api_key_scope = "hotline"
    required_roles = roles.AGENT
    personal_data_roles = roles.AGENT
    queryset = RecordingIntake.objects.select_related("job", "order")
    serializer_class = s.IntakeSerializer

    @extend_schema(request=s.IntakeUploadSerializer, responses={202: s.IntakeSerializer})
    def create(self, request):
        upload = _body(s.IntakeUploadSerializer, request)["recording"]
        intake = recording_intake_start(tenant=self.tenant, upload=upload, user=_user(self))
        data = s.IntakeSerializer(intake, context=self.get_serializer_context()).data
        data["message"] = _("The recording is being transcribed.")
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.OrderFieldsSerializer, responses={201: s.OrderSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Saves the order; the recording and its transcript stay with it."""
        order = order_from_intake(
            intake=self.get_object(),
            given=_body(s.OrderFieldsSerializer, request),
            user=_user(self),
            request=request._request,
        )
        body = s.OrderSerializer(order).data
        body["message"] = _("Order %(n)s created.") % {"n": order.number}
        return Response(body, status=status.HTTP_201_CREATED)
