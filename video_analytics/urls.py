from django.urls import path

from . import views

app_name = "video_analytics"

urlpatterns = [
    path("", views.home, name="home"),
    path("cameras/new/", views.camera_create, name="camera_create"),
    path("cameras/<int:pk>/", views.camera_detail, name="camera_detail"),
    path("cameras/<int:pk>/edit/", views.camera_edit, name="camera_edit"),
    path("cameras/<int:pk>/snapshot.jpg", views.camera_snapshot, name="camera_snapshot"),
    path("cameras/<int:pk>/watch/", views.camera_watch, name="camera_watch"),
    path("cameras/<int:pk>/retention/", views.camera_retention, name="camera_retention"),
    path("cameras/<int:pk>/zones/", views.zone_save, name="zone_save"),
    path("cameras/<int:pk>/zones/<int:zone_id>/delete/", views.zone_delete, name="zone_delete"),
    path("cameras/<int:pk>/rules/", views.rule_create, name="rule_create"),
    path("cameras/<int:pk>/rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path("cameras/<int:pk>/rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("cameras/<int:pk>/clips/", views.clip_upload, name="clip_upload"),
    path("events/", views.events, name="events"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("events/<int:pk>/<str:what>/", views.event_media, name="event_media"),
    path("events/<int:pk>/do/<str:action>/", views.event_action, name="event_action"),
    path("stats/", views.stats, name="stats"),
    path("settings/", views.settings_page, name="settings"),
    path("webhooks/<int:pk>/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/toggle/", views.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/deliveries/", views.webhook_deliveries, name="webhook_deliveries"),
]
