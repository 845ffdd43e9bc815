from django.urls import path

from . import views

app_name = "customer_service"

urlpatterns = [
    path("", views.home, name="home"),
]
