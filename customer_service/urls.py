from django.urls import path

from . import views

app_name = "customer_service"

urlpatterns = [
    path("", views.home, name="home"),
    path("calls/live/", views.live_call, name="live_call"),
]
