"""Client helpers shared by the products' live-call tests (customer service, 12345) over the real
ASGI application: an agent desk, a call streamed in the native or the Twilio protocol, and its
audio. The products' paths, phrases and assertions stay in their own test modules."""

import numpy as np
import pytest_asyncio
from asgiref.sync import sync_to_async

from suite.asgi import application
from tests.factories import member
from tests.sockets import Communicator
from tests.suite.test_realtime import _browser
from tests.suite.test_telephony_support import (
    calls_ended,
    chunks,
    pcm16,
    twilio_media,
    twilio_start,
)


@pytest_asyncio.fixture(autouse=True)
async def _calls_end_with_the_test():
    """Autouse where a module imports it."""
    async with calls_ended():
        yield


async def desk_connects(path: str, user) -> bool:
    """Whether the user's browser session (with an allowed Origin) may open the desk: its hello
    arrives; a refused one is accepted and then closed with 4403."""
    ws = Communicator(application, path, headers=await _browser(user))
    connected, _ = await ws.connect()
    assert connected, "refused in the handshake instead of with a close code"
    try:
        message = await ws.receive_output(timeout=5)
    finally:
        await ws.disconnect()
    if message["type"] == "websocket.close":
        assert message["code"] == 4403, message
        return False
    return True


async def open_desk(path: str, tenant, username: str, role) -> Communicator:
    """A new member's agent desk, connected and past its hello."""
    user = await sync_to_async(member)(tenant, role, username=username)
    ws = Communicator(application, path, headers=await _browser(user))
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["type"] == "hello"
    return ws


async def start_stream_call(path: str, key: str, **start) -> tuple[Communicator, dict]:
    """A call in the native protocol, started: the socket and the server's `started` message."""
    ws = Communicator(application, f"{path}?api_key={key}")
    assert (await ws.connect())[0]
    await ws.send_json_to({"type": "start", "sample_rate": 16000, **start})
    started = await ws.receive_json_from(timeout=10)
    assert started["type"] == "started"
    return ws, started


async def send_audio(ws: Communicator, samples: np.ndarray) -> None:
    """Native protocol: 16-bit PCM frames of 0.2 s."""
    for part in chunks(samples):
        await ws.send_to(bytes_data=pcm16(part))


async def twilio_call(
    path: str, key: str, samples: np.ndarray, caller: str
) -> tuple[Communicator, int]:
    """A Twilio media stream that has sent its start and the samples (0.1 s media frames);
    returns the socket and the next sequence number, for the stop."""
    ws = Communicator(application, f"{path}?api_key={key}")
    assert (await ws.connect())[0]
    await ws.send_json_to(twilio_start(caller=caller))
    seq = 2
    for part in chunks(samples, 0.1):
        await ws.send_json_to(twilio_media(part, seq))
        seq += 1
    return ws, seq


def final_transcript(message: dict) -> bool:
    return message.get("type") == "call.transcript" and bool(message.get("final"))


async def disconnect(*sockets: Communicator) -> None:
    for ws in sockets:
        await ws.disconnect()
