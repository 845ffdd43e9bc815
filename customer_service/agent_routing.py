"""WebSocket routes of the agent pages (appended to routing.py's `websocket_urlpatterns`)."""

from django.urls import path

from .agent_consumers import AgentQueueConsumer

websocket_urlpatterns = [
    path("ws/customer-service/queue/", AgentQueueConsumer.as_asgi(), name="ws-cs-queue"),
]
