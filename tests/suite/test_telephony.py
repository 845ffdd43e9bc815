"""Call-center WebSocket protocols (suite/telephony) with a probe handler: auth, frames, errors,
ordering, resume, barge-in. The customer-service handler is tested in tests/customer_service."""

import asyncio
import base64
import json
import uuid
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from django.urls import path

from suite.accounts.services import api_key_create
from suite.realtime.middleware import WebsocketAuthStack
from suite.telephony.consumers import NativeStreamConsumer, TwilioMediaStreamConsumer
from suite.telephony.handlers import CallHandler, Turn
from suite.telephony.models import Call, CallStatus, CallUtterance
from suite.telephony.session import SESSIONS
from tests.sockets import Communicator
from tests.suite.test_telephony_support import (
    PHRASES,
    calls_ended,
    chunks,
    pcm16,
    receive_until,
    tone,
    twilio_media,
    twilio_start,
    use_tone_engines,
    utterance,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class ProbeHandler(CallHandler):
    """Answers every final with its text, and asks for it to be spoken."""

    product = "probe"
    barge_ins: list[str] = []

    def on_final(self, utterance, event):
        return Turn(
            events=[{"type": "probe.answer", "text": utterance.text}], reply="好的，请稍等。"
        )

    def on_barge_in(self):
        ProbeHandler.barge_ins.append(str(self.call.id))


app = WebsocketAuthStack(
    URLRouter(
        [
            path("ws/stream/", NativeStreamConsumer.as_asgi(handler_class=ProbeHandler)),
            path("ws/twilio/", TwilioMediaStreamConsumer.as_asgi(handler_class=ProbeHandler)),
        ]
    )
)


@pytest.fixture(autouse=True)
def _tones(monkeypatch, settings):
    use_tone_engines(monkeypatch, settings)


@pytest_asyncio.fixture(autouse=True)
async def _calls_end_with_the_test():
    async with calls_ended():
        yield


async def native(key: str, headers=()) -> Communicator:
    ws = Communicator(
        app, "/ws/stream/", headers=[(b"authorization", f"Bearer {key}".encode()), *headers]
    )
    connected, _ = await ws.connect()
    assert connected
    return ws


async def start(ws, timeout: float = 10, **options) -> dict:
    await ws.send_json_to({"type": "start", "sample_rate": 16000, **options})
    started = await ws.receive_json_from(timeout=timeout)
    assert started["type"] == "started"
    return started


async def speak(
    ws, samples: np.ndarray, *, binary: bool = True, first_seq: int = 1, pace: float = 0.0
) -> int:
    """Send in 0.2 s frames; `pace` seconds apart (0: as fast as possible)."""
    import asyncio

    seq = first_seq
    for part in chunks(samples):
        if pace:
            await asyncio.sleep(pace)
        if binary:
            await ws.send_to(bytes_data=pcm16(part))
        else:
            audio = base64.b64encode(pcm16(part)).decode()
            await ws.send_json_to({"type": "audio", "seq": seq, "audio": audio})
        seq += 1
    return seq


def is_final(message: dict) -> bool:
    return message.get("type") == "transcript" and message["final"]


async def closed_with(ws) -> int:
    """The close code, after whatever the server still had to send."""
    try:
        while (message := await ws.receive_output(timeout=10))["type"] == "websocket.send":
            pass
    finally:
        await ws.disconnect()
    assert message["type"] == "websocket.close"
    return message["code"]


async def test_no_key_a_bad_key_and_a_key_without_the_scope_are_refused(tenant_a):
    ws = Communicator(app, "/ws/stream/")
    await ws.connect()
    assert await closed_with(ws) == 4401
    ws = Communicator(app, "/ws/stream/?api_key=sk-nope")
    await ws.connect()
    assert await closed_with(ws) == 4401
    issued = await sync_to_async(api_key_create)(tenant=tenant_a, name="m", scopes=["maas"])
    ws = Communicator(app, f"/ws/stream/?api_key={issued.raw}")
    await ws.connect()
    assert await closed_with(ws) == 4403
    assert await sync_to_async(Call.objects.count)() == 0


async def test_a_browser_client_from_a_foreign_origin_is_refused(key_a):
    ws = Communicator(
        app,
        f"/ws/stream/?api_key={key_a}",
        headers=[(b"origin", b"https://evil.example"), (b"host", b"testserver")],
    )
    await ws.connect()
    assert await closed_with(ws) == 4403
    ws = Communicator(
        app,
        f"/ws/stream/?api_key={key_a}",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")],
    )
    await ws.connect()
    await start(ws)
    await ws.disconnect()


async def test_a_stream_gives_ordered_transcripts_and_the_handler_turn(tenant_a, key_a):
    ws = await native(key_a)
    started = await start(ws, caller="13812345678", external_id="ext-1")
    await speak(ws, np.concatenate([utterance(440), utterance(880)]))
    seen = await receive_until(ws, lambda m: m.get("type") == "probe.answer")
    seen += await receive_until(ws, lambda m: m.get("type") == "probe.answer")
    await ws.send_json_to({"type": "stop"})
    seen += await receive_until(ws, lambda m: m["type"] == "stopped")
    assert await closed_with(ws) == 1000

    seqs = [m["seq"] for m in seen if "seq" in m]
    assert seqs == list(range(started["seq"] + 1, started["seq"] + 1 + len(seqs)))
    finals = [m for m in seen if is_final(m)]
    assert [(f["utterance"], f["text"]) for f in finals] == [(0, PHRASES[440]), (1, PHRASES[880])]
    assert finals[0]["end_s"] <= finals[1]["start_s"]
    answers = [m["text"] for m in seen if m["type"] == "probe.answer"]
    assert answers == [PHRASES[440], PHRASES[880]]

    call = await sync_to_async(Call.objects.get)(pk=started["call_id"])
    assert (call.tenant_id, call.status, call.product) == (tenant_a.pk, CallStatus.ENDED, "probe")
    assert call.audio_seconds == pytest.approx(4.4, abs=0.1)
    texts = await sync_to_async(list)(
        CallUtterance.objects.filter(call=call).values_list("index", "text")
    )
    assert texts == [(0, PHRASES[440]), (1, PHRASES[880])]


async def test_malformed_frames_get_error_events_and_the_call_goes_on(key_a):
    ws = await native(key_a)
    await ws.send_to(bytes_data=pcm16(tone(440, 0.1).samples))
    assert (await ws.receive_json_from())["code"] == "not_started"
    await start(ws)
    bad = [
        ("not json", "bad_frame"),
        (json.dumps([1, 2]), "bad_frame"),
        (json.dumps({"type": "dance"}), "bad_frame"),
        (json.dumps({"type": "audio", "audio": "%%%not-base64"}), "bad_frame"),
        (
            json.dumps({"type": "audio", "audio": base64.b64encode(b"\x01\x02\x03").decode()}),
            "bad_frame",
        ),
    ]
    for text, code in bad:
        await ws.send_to(text_data=text)
        error = await ws.receive_json_from(timeout=5)
        assert (error["type"], error["code"]) == ("error", code)
        assert error["message"]
    await ws.send_to(bytes_data=b"\x00")  # an odd byte count is no 16-bit PCM
    assert (await ws.receive_json_from(timeout=5))["code"] == "bad_frame"
    await ws.send_to(bytes_data=pcm16(tone(440, 2.0).samples))  # 2 s in one frame
    too_long = await ws.receive_json_from(timeout=5)
    assert too_long["code"] == "frame_too_long" and "1.0" in too_long["message"]

    await speak(ws, utterance(660))
    finals = [m for m in await receive_until(ws, is_final)]
    assert finals[-1]["text"] == PHRASES[660]
    await ws.disconnect()


async def test_a_wrong_sample_rate_is_refused_and_a_corrected_start_works(key_a):
    ws = await native(key_a)
    await ws.send_json_to({"type": "start", "sample_rate": 8000})
    error = await ws.receive_json_from(timeout=5)
    assert error["code"] == "bad_sample_rate" and "16000" in error["message"]
    await ws.send_json_to({"type": "start", "sample_rate": 16000, "encoding": "opus"})
    assert (await ws.receive_json_from(timeout=5))["code"] == "bad_encoding"
    assert await sync_to_async(Call.objects.count)() == 0
    await start(ws)
    await ws.disconnect()


async def test_client_frame_numbers_drop_repeats_and_report_gaps(key_a):
    ws = await native(key_a)
    await start(ws)
    samples = utterance(440)
    parts = list(chunks(samples))
    frames = [(i + 1, part) for i, part in enumerate(parts)]
    frames.insert(3, frames[2])  # a repeat: ignored
    del frames[6]  # a gap: reported, the call goes on
    for seq, part in frames:
        audio = base64.b64encode(pcm16(part)).decode()
        await ws.send_json_to({"type": "audio", "seq": seq, "audio": audio})
    seen = await receive_until(ws, is_final)
    gaps = [m for m in seen if m.get("code") == "frame_gap"]
    assert len(gaps) == 1 and "6" in gaps[0]["message"]
    assert seen[-1]["text"] == PHRASES[440]
    await ws.disconnect()


async def test_a_dropped_client_resumes_by_call_id_and_gets_what_it_missed(tenant_a, key_a):
    ws = await native(key_a)
    started = await start(ws)
    await speak(ws, utterance(440))
    first = await receive_until(ws, is_final)
    await ws.disconnect()  # dropped, no stop: the answer to the first utterance is missed
    # The answer is made after the transcript: wait until the call holds it, so it is among
    # what the resume replays (under load it could otherwise come live, after "resumed").
    session = SESSIONS[started["call_id"]]
    for _ in range(200):
        if any(e["type"] == "probe.answer" for e in session.log):
            break
        await asyncio.sleep(0.05)

    again = await native(key_a)
    await again.send_json_to(
        {"type": "resume", "call_id": started["call_id"], "last_seq": first[-1]["seq"]}
    )
    replay = await receive_until(again, lambda m: m["type"] == "resumed")
    missed = [m for m in replay if m["type"] != "resumed"]
    assert [m["type"] for m in missed] == ["probe.answer"]
    assert missed[0]["seq"] == first[-1]["seq"] + 1
    assert replay[-1]["seq"] == missed[-1]["seq"] + 1 and replay[-1]["exact"]

    await speak(again, utterance(880))
    final = (await receive_until(again, is_final))[-1]
    assert (final["utterance"], final["text"]) == (1, PHRASES[880])
    await again.send_json_to({"type": "stop"})
    await receive_until(again, lambda m: m["type"] == "stopped")
    utterances = await sync_to_async(list)(
        CallUtterance.objects.filter(call_id=started["call_id"]).values_list("index", flat=True)
    )
    assert utterances == [0, 1]


async def test_another_tenants_call_id_cannot_be_resumed(tenant_a, key_a, key_b):
    ws = await native(key_a)
    started = await start(ws)
    await ws.disconnect()
    for call_id in (started["call_id"], str(uuid.uuid4()), "not-a-uuid"):
        thief = await native(key_b)
        await thief.send_json_to({"type": "resume", "call_id": call_id, "last_seq": 0})
        error = await thief.receive_json_from(timeout=5)
        assert error["code"] == "unknown_call"
        assert await closed_with(thief) == 4404
    call = await sync_to_async(Call.objects.get)(pk=started["call_id"])
    assert call.tenant_id == tenant_a.pk


async def test_a_resume_after_the_window_finds_the_call_dropped_and_reopens_it(key_a, settings):
    ws = await native(key_a)
    started = await start(ws)
    await speak(ws, utterance(440))
    await receive_until(ws, lambda m: m.get("type") == "probe.answer")
    await ws.disconnect()
    import asyncio

    await asyncio.sleep(1.5)  # past TELEPHONY_RESUME_WINDOW_S
    call = await sync_to_async(Call.objects.get)(pk=started["call_id"])
    assert call.status == CallStatus.DROPPED
    again = await native(key_a)
    await again.send_json_to({"type": "resume", "call_id": started["call_id"], "last_seq": 1})
    resumed = (await receive_until(again, lambda m: m["type"] == "resumed"))[-1]
    assert resumed["exact"] is False  # the live state is gone; stored finals remain
    await speak(again, utterance(660))
    final = (await receive_until(again, is_final))[-1]
    assert (final["utterance"], final["text"]) == (1, PHRASES[660])
    await again.disconnect()


async def test_twilio_media_is_transcribed_and_a_reply_is_spoken_back_as_mulaw(key_a):
    ws = Communicator(app, f"/ws/twilio/?api_key={key_a}")
    assert (await ws.connect())[0]
    await ws.send_json_to({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    await ws.send_json_to(twilio_start(speak_replies="true", caller="13812345678"))
    seq = 2
    for part in chunks(utterance(440), 0.1):
        await ws.send_json_to(twilio_media(part, seq))
        seq += 1
    reply = await receive_until(ws, lambda m: m["event"] == "mark")
    media = [m for m in reply if m["event"] == "media"]
    assert media and all(m["streamSid"] == "MZ1" for m in reply)
    frame = base64.b64decode(media[0]["media"]["payload"])
    assert len(frame) == 160  # 20 ms of 8 kHz mu-law
    assert sum(len(base64.b64decode(m["media"]["payload"])) for m in media) == 3200  # 0.4 s

    # Barge-in: the caller talks over the reply (its mark never came back) -> clear.
    for part in chunks(tone(660, 0.4).samples, 0.1):
        await ws.send_json_to(twilio_media(part, seq))
        seq += 1
    cleared = await receive_until(ws, lambda m: m["event"] == "clear")
    assert cleared[-1] == {"event": "clear", "streamSid": "MZ1"}
    await ws.send_json_to({"event": "stop", "sequenceNumber": str(seq), "streamSid": "MZ1"})
    assert await closed_with(ws) == 1000

    call = await sync_to_async(Call.objects.get)()
    assert (call.protocol, call.external_id, call.caller_number) == ("twilio", "CA1", "13812345678")
    assert str(call.id) in ProbeHandler.barge_ins
    texts = await sync_to_async(list)(CallUtterance.objects.values_list("text", flat=True))
    assert texts[0] == PHRASES[440]


async def test_no_clear_when_nothing_is_playing(key_a):
    ws = Communicator(app, f"/ws/twilio/?api_key={key_a}")
    assert (await ws.connect())[0]
    await ws.send_json_to(twilio_start())  # replies not spoken
    seq = 2
    for part in chunks(np.concatenate([utterance(440), tone(660, 0.5).samples]), 0.1):
        await ws.send_json_to(twilio_media(part, seq))
        seq += 1
    assert await ws.receive_nothing(timeout=1.0)
    await ws.disconnect()


async def test_twilio_bad_frames_and_a_wrong_format_do_not_end_the_call(key_a):
    ws = Communicator(app, f"/ws/twilio/?api_key={key_a}")
    assert (await ws.connect())[0]
    wrong = twilio_start()
    wrong["start"]["mediaFormat"]["sampleRate"] = 16000
    await ws.send_json_to(wrong)
    assert await sync_to_async(Call.objects.count)() == 0
    await ws.send_json_to(twilio_start(seq=2))
    await ws.send_to(text_data="{broken")
    await ws.send_json_to({"event": "media", "sequenceNumber": "3", "media": {"payload": "@@"}})
    await ws.send_json_to({"event": "media", "sequenceNumber": "4", "media": "nope"})
    seq = 5
    for part in chunks(utterance(880), 0.1):
        await ws.send_json_to(twilio_media(part, seq))
        seq += 1
    await ws.send_json_to(twilio_media(tone(880, 0.1).samples, 5))  # a repeat: ignored
    await ws.send_json_to({"event": "stop", "sequenceNumber": str(seq)})
    assert await closed_with(ws) == 1000
    texts = await sync_to_async(list)(CallUtterance.objects.values_list("text", flat=True))
    assert texts == [PHRASES[880]]


async def test_a_reconnecting_twilio_stream_continues_its_call(tenant_a, key_a, key_b):
    async def stream(key, sid, freq, stop):
        ws = Communicator(app, f"/ws/twilio/?api_key={key}")
        assert (await ws.connect())[0]
        await ws.send_json_to(twilio_start(sid=sid, call_sid="CA-same"))
        seq = 2
        for part in chunks(utterance(freq), 0.1):
            await ws.send_json_to(twilio_media(part, seq))
            seq += 1
        if stop:
            await ws.send_json_to({"event": "stop", "sequenceNumber": str(seq)})
            assert await closed_with(ws) == 1000
        else:
            await ws.receive_nothing(timeout=1.0)
            await ws.disconnect()  # the stream broke: no stop

    await stream(key_a, "MZ1", 440, stop=False)
    await stream(key_a, "MZ2", 880, stop=True)
    await stream(key_b, "MZ3", 660, stop=True)  # same callSid, other tenant: its own call
    calls = await sync_to_async(list)(Call.objects.order_by("started_at"))
    assert [c.tenant_id for c in calls] == [tenant_a.pk, calls[1].tenant_id]
    assert calls[1].tenant_id != tenant_a.pk
    texts = await sync_to_async(list)(
        CallUtterance.objects.filter(call=calls[0]).values_list("index", "text")
    )
    assert texts == [(0, PHRASES[440]), (1, PHRASES[880])]
    assert calls[0].stream_id == "MZ1" and calls[0].status == CallStatus.ENDED


async def test_the_bundled_whisper_base_transcribes_a_streamed_wav(key_a, settings):
    from suite.ai.config_cache import invalidate
    from suite.media.audio import decode_audio

    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "transcribe": [{"name": "whisper-base", "engine": "faster-whisper"}],
    }
    settings.TELEPHONY_PARTIAL_INTERVAL_S = 30.0  # the final is what counts here: one model run
    invalidate()
    # On the configured channel layer (Redis in CI): Whisper runs in its model process, so
    # loading and decoding never stall this process's event loop.
    wav = Path(__file__).parents[1] / "ai" / "data" / "mandarin_phone_espeak.wav"
    speech = decode_audio(wav.read_bytes()).samples
    ws = await native(key_a)
    await start(ws, language="zh", timeout=120)  # loads the model
    await speak(ws, np.concatenate([speech, np.zeros(16000, dtype=np.float32)]))
    final = (await receive_until(ws, is_final, timeout=120))[-1]
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in final["text"]) >= 4
    await ws.disconnect()


async def test_a_call_past_the_length_limit_is_told_so_and_stays_up(key_a, settings):
    settings.TELEPHONY_MAX_CALL_S = 2
    ws = await native(key_a)
    await start(ws)
    await speak(ws, np.concatenate([utterance(440), utterance(660)]))  # 4.4 s
    seen = await receive_until(ws, lambda m: m.get("code") == "call_too_long")
    assert "2" in seen[-1]["message"]
    await ws.send_json_to({"type": "stop"})
    await receive_until(ws, lambda m: m["type"] == "stopped")
    call = await sync_to_async(Call.objects.get)()
    assert call.audio_seconds <= 2.0


async def test_concurrent_calls_keep_their_own_transcripts_and_sequences(key_a, key_b):
    import asyncio

    async def one_call(key, freqs):
        ws = await native(key)
        started = await start(ws)
        await speak(ws, np.concatenate([utterance(f) for f in freqs]))
        await ws.send_json_to({"type": "stop"})
        seen = await receive_until(ws, lambda m: m["type"] == "stopped")
        await ws.disconnect()
        assert {m["call_id"] for m in seen} == {started["call_id"]}
        assert [m["seq"] for m in seen] == list(range(2, 2 + len(seen)))
        return [m["text"] for m in seen if is_final(m)]

    plans = [[440, 660], [660, 880], [880, 440], [440], [660], [880]]
    keys = [key_a, key_b] * 3
    results = await asyncio.gather(*(one_call(k, p) for k, p in zip(keys, plans, strict=True)))
    assert results == [[PHRASES[f] for f in plan] for plan in plans]


async def test_a_second_connection_resuming_a_live_call_takes_it_over(key_a):
    first = await native(key_a)
    started = await start(first)
    second = await native(key_a)
    await second.send_json_to({"type": "resume", "call_id": started["call_id"], "last_seq": 1})
    resumed = (await receive_until(second, lambda m: m["type"] == "resumed"))[-1]
    assert resumed["exact"] and resumed["replayed"] == 0
    assert await closed_with(first) == 4409
    await speak(second, utterance(440))
    assert (await receive_until(second, is_final))[-1]["text"] == PHRASES[440]
    await second.disconnect()


@pytest.mark.parametrize("loaded", [False, True])
async def test_partials_are_skipped_while_the_model_is_loaded(key_a, monkeypatch, loaded):
    from suite.ai import live_transcriber

    now = [0.0]  # a clock that only moves when told to: the load's history stays put
    load = live_transcriber.ModelLoad(window_s=10.0, clock=lambda: now[0])
    if loaded:

        def other_calls_finals() -> str:
            now[0] += 10.0  # kept the model busy for the whole window
            return ""

        load.run(other_calls_finals, optional=False, max_share=1.0)
    monkeypatch.setattr(live_transcriber, "LIVE_LOAD", load)
    ws = await native(key_a)
    await start(ws)
    await speak(ws, utterance(440, speech_s=2.5), pace=0.05)
    seen = await receive_until(ws, is_final)
    partials = [m for m in seen if m["type"] == "transcript" and not m["final"]]
    assert (len(partials) > 0) is not loaded
    assert seen[-1]["text"] == PHRASES[440]
    await ws.disconnect()


async def test_twilio_authenticates_with_a_key_in_the_start_parameters(tenant_a, key_a):
    # Twilio's Stream URL takes no query string and no headers: <Parameter name="api_key">.
    ws = Communicator(app, "/ws/twilio/")
    assert (await ws.connect())[0]
    await ws.send_json_to({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    await ws.send_json_to(twilio_start(api_key=key_a, caller="13812345678"))
    seq = 2
    for part in chunks(utterance(440), 0.1):
        await ws.send_json_to(twilio_media(part, seq))
        seq += 1
    await ws.send_json_to({"event": "stop", "sequenceNumber": str(seq)})
    assert await closed_with(ws) == 1000
    call = await sync_to_async(Call.objects.get)()
    assert call.tenant_id == tenant_a.pk and "api_key" not in call.metadata
    assert await sync_to_async(CallUtterance.objects.filter(call=call).count)() == 1


@pytest.mark.parametrize(
    "first",
    [
        twilio_start(api_key="sk-forged"),
        twilio_start(),
        {"event": "media", "sequenceNumber": "2", "media": {"payload": "AAAA"}},
    ],
)
async def test_twilio_without_a_valid_key_in_start_is_closed(first):
    ws = Communicator(app, "/ws/twilio/")
    assert (await ws.connect())[0]
    await ws.send_json_to(first)
    assert await closed_with(ws) == 4401
    assert await sync_to_async(Call.objects.count)() == 0


async def test_twilio_start_key_needs_the_callcenter_scope(tenant_a):
    issued = await sync_to_async(api_key_create)(tenant=tenant_a, name="m", scopes=["maas"])
    ws = Communicator(app, "/ws/twilio/")
    assert (await ws.connect())[0]
    await ws.send_json_to(twilio_start(api_key=issued.raw))
    assert await closed_with(ws) == 4403


async def test_a_call_whose_channel_stays_quiet_outlives_the_redis_blocking_pop(key_a, settings):
    """channels-redis pops with a 5 s block; redis-py 8 reads with a 5 s socket timeout by
    default, so every quiet consumer died with redis TimeoutError (live calls dropped as the
    caller paused). On the production layer a call idle past the pop still answers."""
    import asyncio

    if "RedisChannelLayer" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        pytest.skip("needs the Redis channel layer (REDIS_URL; CI sets it)")
    ws = await native(key_a)
    await start(ws)
    await asyncio.sleep(7)  # longer than the blocking pop, with nothing on the call's channel
    await speak(ws, utterance(440))
    final = (await receive_until(ws, is_final))[-1]
    assert final["text"] == PHRASES[440]
    await ws.send_json_to({"type": "stop"})
    assert (await receive_until(ws, lambda m: m["type"] == "stopped"))[-1]["dropped"] is False


async def test_a_frame_nested_past_the_parser_s_stack_is_a_bad_frame_and_the_call_goes_on(key_a):
    ws = await native(key_a)
    await start(ws)
    await ws.send_to(text_data="[" * 5000 + "]" * 5000)
    error = (await receive_until(ws, lambda m: m["type"] == "error"))[-1]
    assert error["code"] == "bad_frame"
    await speak(ws, utterance(440))
    assert (await receive_until(ws, is_final))[-1]["text"] == PHRASES[440]
    await ws.send_json_to({"type": "stop"})
    await receive_until(ws, lambda m: m["type"] == "stopped")
    call = await sync_to_async(Call.objects.get)()
    assert call.status == CallStatus.ENDED


async def test_a_twilio_frame_nested_too_deep_is_refused_without_ending_the_stream(key_a):
    ws = Communicator(app, "/ws/twilio/")
    await ws.connect()
    await ws.send_json_to(twilio_start(api_key=key_a))
    await ws.send_to(text_data='{"event": ' + "[" * 5000 + "]" * 5000 + "}")
    await ws.send_json_to(twilio_media(utterance(440), 2))
    await ws.send_json_to({"event": "stop", "sequenceNumber": "3"})
    assert await closed_with(ws) == 1000
    call = await sync_to_async(Call.objects.get)()
    assert call.status == CallStatus.ENDED


async def test_an_oversized_text_frame_is_refused_and_the_call_goes_on(key_a, settings):
    settings.TELEPHONY_MAX_TEXT_FRAME_BYTES = 1000
    ws = await native(key_a)
    await start(ws)
    await ws.send_to(text_data=json.dumps({"type": "mark", "name": "x" * 2000}))
    error = (await receive_until(ws, lambda m: m["type"] == "error"))[-1]
    assert error["code"] == "bad_frame" and "1000" in error["message"]
    await ws.send_json_to({"type": "stop"})
    assert (await receive_until(ws, lambda m: m["type"] == "stopped"))[-1]["dropped"] is False


async def test_revoking_the_key_ends_its_open_call_with_4401(key_a, tenant_a, settings):
    from suite.accounts.models import ApiKey
    from suite.accounts.services import api_key_revoke

    settings.TELEPHONY_KEEPALIVE_S = 0.2
    ws = await native(key_a)
    await start(ws)
    key = await sync_to_async(ApiKey.objects.get)(tenant=tenant_a)
    await sync_to_async(api_key_revoke)(key=key)
    seen = await receive_until(ws, lambda m: m["type"] == "stopped", timeout=10)
    assert any(m.get("code") == "key_revoked" for m in seen)
    assert await closed_with(ws) == 4401
    call = await sync_to_async(Call.objects.get)()
    assert call.status == CallStatus.ENDED and call.api_key_id == key.pk


async def test_a_live_call_renews_its_mark_and_the_sweep_spares_it(key_a, settings):
    import asyncio

    from suite.telephony.services import call_sweep_orphaned

    settings.TELEPHONY_KEEPALIVE_S = 0.2
    ws = await native(key_a)
    started = await start(ws)
    first = (await sync_to_async(Call.objects.get)(pk=started["call_id"])).alive_at
    await asyncio.sleep(0.6)
    call = await sync_to_async(Call.objects.get)(pk=started["call_id"])
    assert call.alive_at > first
    assert await sync_to_async(call_sweep_orphaned)() == 0
    await ws.send_json_to({"type": "stop"})
    await receive_until(ws, lambda m: m["type"] == "stopped")


def _orphan(tenant, *, alive_ago_s: float, status=CallStatus.ACTIVE) -> Call:
    from datetime import timedelta

    from django.utils import timezone

    from suite.telephony.services import call_start

    call = call_start(tenant=tenant, product="probe", protocol="stream")
    Call.objects.filter(pk=call.pk).update(
        alive_at=timezone.now() - timedelta(seconds=alive_ago_s), status=status
    )
    return call


async def test_calls_whose_process_died_are_swept_as_dropped_after_the_resume_window(
    tenant_a, tenant_b, settings
):
    from suite.telephony.services import call_sweep_orphaned

    settings.TELEPHONY_RESUME_WINDOW_S = 60
    settings.TELEPHONY_KEEPALIVE_S = 10
    dead = await sync_to_async(_orphan)(tenant_a, alive_ago_s=200)
    other_tenant = await sync_to_async(_orphan)(tenant_b, alive_ago_s=200)
    resumable = await sync_to_async(_orphan)(tenant_a, alive_ago_s=30)
    ended = await sync_to_async(_orphan)(tenant_a, alive_ago_s=500, status=CallStatus.ENDED)
    assert await sync_to_async(call_sweep_orphaned)() == 2
    status = dict(await sync_to_async(list)(Call.objects.values_list("pk", "status")))
    assert status[dead.pk] == status[other_tenant.pk] == CallStatus.DROPPED
    assert status[resumable.pk] == CallStatus.ACTIVE
    assert status[ended.pk] == CallStatus.ENDED


class BrokenStartHandler(ProbeHandler):
    def on_start(self, *, resumed):
        raise RuntimeError("database unreachable")


class BrokenEndHandler(ProbeHandler):
    def on_end(self, *, dropped):
        raise AttributeError("no conversation")


broken_app = WebsocketAuthStack(
    URLRouter(
        [
            path("ws/start/", NativeStreamConsumer.as_asgi(handler_class=BrokenStartHandler)),
            path("ws/end/", NativeStreamConsumer.as_asgi(handler_class=BrokenEndHandler)),
        ]
    )
)


async def test_a_call_whose_handler_cannot_start_is_refused_and_left_dropped(key_a):
    from suite.telephony import session

    ws = Communicator(broken_app, f"/ws/start/?api_key={key_a}")
    assert (await ws.connect())[0]
    await ws.send_json_to({"type": "start", "sample_rate": 16000})
    error = await ws.receive_json_from(timeout=10)
    assert error["code"] == "start_failed"
    assert await closed_with(ws) == 1011
    call = await sync_to_async(Call.objects.get)()
    assert call.status == CallStatus.DROPPED
    assert str(call.id) not in session.SESSIONS


async def test_a_handler_failing_at_the_end_still_ends_the_call_with_stopped(key_a):
    ws = Communicator(broken_app, f"/ws/end/?api_key={key_a}")
    assert (await ws.connect())[0]
    await start(ws)
    await ws.send_json_to({"type": "stop"})
    assert (await receive_until(ws, lambda m: m["type"] == "stopped"))[-1]["dropped"] is False
    call = await sync_to_async(Call.objects.get)()
    assert call.status == CallStatus.ENDED
