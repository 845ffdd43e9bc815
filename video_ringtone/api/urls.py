from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("drafts", views.DraftViewSet, basename="vr-draft")
router.register("scenes", views.SceneViewSet, basename="vr-scene")
router.register("renders", views.RenderViewSet, basename="vr-render")
router.register("ringtones", views.RingtoneViewSet, basename="vr-ringtone")
router.register("assignments", views.AssignmentViewSet, basename="vr-assignment")
router.register("reviews", views.ReviewViewSet, basename="vr-review")
router.register("gallery", views.GalleryViewSet, basename="vr-gallery")
router.register("employees", views.EmployeeViewSet, basename="vr-employee")
router.register(
    "enterprise-ringtones", views.EnterpriseRingtoneViewSet, basename="vr-enterprise-ringtone"
)

urlpatterns = router.urls
