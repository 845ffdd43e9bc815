from django.urls import path

from . import views

app_name = "gov_hotline"

urlpatterns = [
    path("", views.home, name="home"),
]
