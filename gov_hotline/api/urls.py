from django.urls import re_path
from rest_framework.routers import DefaultRouter

from . import open311, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("orders", views.OrderViewSet, basename="gh-order")
router.register("assignments", views.AssignmentViewSet, basename="gh-assignment")
router.register("extensions", views.ExtensionViewSet, basename="gh-extension")
router.register("departments", views.DepartmentViewSet, basename="gh-department")
router.register("intakes", views.IntakeViewSet, basename="gh-intake")

FMT = r"(?P<fmt>json|xml)"

urlpatterns = [
    re_path(r"^orders/draft/?$", views.DraftView.as_view(), name="gh-order-draft"),
    *router.urls,
    re_path(
        rf"^open311/v2/services\.{FMT}$", open311.ServicesView.as_view(), name="gh-open311-services"
    ),
    re_path(
        rf"^open311/v2/services/(?P<code>[\w-]+)\.{FMT}$",
        open311.ServiceDefinitionView.as_view(),
        name="gh-open311-service",
    ),
    re_path(
        rf"^open311/v2/requests\.{FMT}$", open311.RequestsView.as_view(), name="gh-open311-requests"
    ),
    re_path(
        rf"^open311/v2/requests/(?P<request_id>[\w-]+)\.{FMT}$",
        open311.RequestView.as_view(),
        name="gh-open311-request",
    ),
    re_path(
        rf"^open311/v2/tokens/(?P<token>[\w-]+)\.{FMT}$",
        open311.TokenView.as_view(),
        name="gh-open311-token",
    ),
    re_path(rf"^open311/(?:v2/)?discovery\.{FMT}$", open311.discovery, name="gh-open311-discovery"),
    # Last: anything else under the prefix answers the spec's 404 error list, not HTML.
    re_path(r"^open311(?P<rest>/.*)?$", open311.not_found, name="gh-open311-unknown"),
]
