from django.urls import path

from .consumers import AlertsConsumer

websocket_urlpatterns = [
    path("ws/video-analytics/alerts/", AlertsConsumer.as_asgi(), name="ws-va-alerts"),
]
