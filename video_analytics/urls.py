from django.urls import path

from . import views

app_name = "video_analytics"

urlpatterns = [
    path("", views.home, name="home"),
]
