"""Call-center media streams: Twilio Media Streams and the suite's native JSON protocol.

Protocol handling, audio decoding, streaming transcription with endpointing, per-call
sequence numbers and resume live here; what a call *means* is a product's `CallHandler`
(see `handlers.py`), mounted by the product's own `routing.py`.
"""
