from django.urls import path

from suite.telephony.consumers import NativeStreamConsumer, TwilioMediaStreamConsumer

from .calls import HotlineCallHandler
from .consumers import HotlineDeskConsumer

websocket_urlpatterns = [
    path(
        "ws/gov-hotline/calls/stream/",
        NativeStreamConsumer.as_asgi(handler_class=HotlineCallHandler),
        name="ws-gov-hotline-calls-stream",
    ),
    path(
        "ws/gov-hotline/calls/twilio/",
        TwilioMediaStreamConsumer.as_asgi(handler_class=HotlineCallHandler),
        name="ws-gov-hotline-calls-twilio",
    ),
    path("ws/gov-hotline/agent/", HotlineDeskConsumer.as_asgi(), name="ws-gov-hotline-agent"),
]
