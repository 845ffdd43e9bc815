from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("cameras", views.CameraViewSet, basename="va-camera")
router.register("zones", views.ZoneViewSet, basename="va-zone")
router.register("rules", views.RuleViewSet, basename="va-rule")
router.register("analyses", views.AnalysisViewSet, basename="va-analysis")
router.register("events", views.EventViewSet, basename="va-event")
router.register("webhooks", views.WebhookViewSet, basename="va-webhook")
router.register("deliveries", views.DeliveryViewSet, basename="va-delivery")

urlpatterns = [
    path("stats/", views.StatsView.as_view(), name="va-stats"),
    *router.urls,
]
