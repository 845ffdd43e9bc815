from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("models", views.AiModelViewSet, basename="ai-model")
router.register("quotas", views.QuotaViewSet, basename="ai-quota")
router.register("aliases", views.AliasViewSet, basename="ai-alias")
router.register("prices", views.PriceViewSet, basename="ai-price")
router.register("key-terms", views.KeyTermsViewSet, basename="ai-key-terms")
router.register("safety-terms", views.SafetyTermViewSet, basename="ai-safety-term")
router.register("usage", views.UsageRecordViewSet, basename="ai-usage")

urlpatterns = router.urls
