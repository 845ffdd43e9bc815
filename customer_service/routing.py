from django.urls import path

from suite.telephony.consumers import NativeStreamConsumer, TwilioMediaStreamConsumer

from .agent_routing import websocket_urlpatterns as agent_urlpatterns
from .calls import CustomerServiceCallHandler
from .chat_consumers import SubscriberChatConsumer
from .consumers import AgentDeskConsumer

websocket_urlpatterns = [
    path(
        "ws/callcenter/twilio/",
        TwilioMediaStreamConsumer.as_asgi(handler_class=CustomerServiceCallHandler),
        name="ws-callcenter-twilio",
    ),
    path(
        "ws/callcenter/stream/",
        NativeStreamConsumer.as_asgi(handler_class=CustomerServiceCallHandler),
        name="ws-callcenter-stream",
    ),
    path("ws/customer-service/agent/", AgentDeskConsumer.as_asgi(), name="ws-cs-agent"),
    path(
        "ws/customer-service/chat/<int:conversation_id>/",
        SubscriberChatConsumer.as_asgi(),
        name="ws-cs-chat",
    ),
]
websocket_urlpatterns += agent_urlpatterns
