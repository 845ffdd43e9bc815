from django.urls import path

from . import views

app_name = "gov_hotline"

urlpatterns = [
    path("", views.home, name="home"),
    path("intake/", views.intake_page, name="intake"),
    path("intake/recordings/<int:pk>/", views.intake_recording_page, name="intake_recording"),
    path("calls/live/", views.live_calls_page, name="live_calls"),
    path("calls/live/state/", views.live_calls_state_view, name="live_calls_state"),
    path("orders/", views.orders_page, name="orders"),
    path("orders/<int:pk>/", views.order_page, name="order"),
    path("orders/<int:pk>/act/", views.order_act, name="order_act"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("queue/", views.queue_page, name="queue"),
    path("queue/<int:pk>/", views.assignment_page, name="assignment"),
    path("knowledge/", views.kb_page, name="kb"),
    path("hotspots/", views.hotspots_page, name="hotspots"),
    path("reports/<uuid:job_id>/", views.report_download, name="report_download"),
    path("catalogue/", views.catalogue_page, name="catalogue"),
]
