"""Call-center WebSocket benchmarks through ONE ASGI process (uvicorn serving
``suite.asgi:application``). Without DATABASE_URL/REDIS_URL in the environment it runs on the
embedded default (SQLite, locmem cache, in-memory channel layer); with them, on the production
path (PostgreSQL, channels-redis). The result names the layer. Heavy models run in the server's
model processes (AI_MODEL_PROCESSES), as in production.

- ``asr``: N concurrent simulated calls stream real-time audio over the native protocol (20 ms
  frames paced by the clock, call starts staggered over one cycle). Each call repeats a cycle of
  0.5 s silence + the bundled test speech (tests/ai/data/mandarin_phone_espeak.wav, 5.45 s) +
  silence, so each call is half speech. The bundled Whisper base transcribes (faster-whisper,
  int8, its live path: `transcribe_utterance`). Latency = arrival of an utterance's last final
  transcript minus the wall time its last speech sample was sent (so it includes the endpointer's
  0.6 s of silence). Reports p50/p95 per N and the largest N whose p95 stays under 1.5 s (a
  cycle with no final counts as a miss). The in-process baseline: the same utterance through
  the model directly, no server.
- ``plumbing``: 500 concurrent connections stream 2 s of silent audio each (100 ms frames with
  client frame numbers; silence never reaches the model, so no ASR runs) while one agent-desk
  connection of the same tenant watches. Checks: every call started and stopped, no frame gap
  reported by the server, every call's event seqs contiguous, the desk's group seqs contiguous
  (call.started + call.ended per call).
- ``turn``: end of caller speech to the first reply audio frame (spoken replies on), one call
  per turn, over the demo tenant's knowledge base: four questions spoken by the bundled Kokoro
  voice, each asked `--rounds` times. Replies spoken before in the run come from the speech
  cache, so fresh and repeated replies are reported apart.

Prints one JSON object. The machine's load (shared with other work) is reported with the figures.

    .venv/bin/python bench/customer_service_calls.py [--only asr,plumbing,turn]
        [--calls 1,2,4,6,8,10,12] [--cycles 2] [--connections 500] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SPEECH_WAV = ROOT / "tests" / "ai" / "data" / "mandarin_phone_espeak.wav"
RATE = 16000
FRAME_S = 0.02
TARGET_P95_S = 1.5
QUESTIONS = ["国际漫游怎么开通？", "宽带断网了怎么办？", "怎么查话费余额？", "我想办理流量包。"]

# The default model configuration: live calls take the backend's live path (the utterance's own
# length as the encoder window, greedy), files the full one.
SETTINGS = "from suite.settings import *  # noqa: F403\n"

SETUP = textwrap.dedent(
    """
    import django
    django.setup()
    from django.core.management import call_command
    from suite.accounts.services import api_key_create
    from suite.tenancy.models import Tenant
    try:
        call_command("seed_demo", verbosity=0)
        seeded = True
    except Exception as exc:  # the bench still runs on an empty tenant
        print("seed_demo failed:", exc, file=__import__("sys").stderr)
        seeded = False
    tenant = Tenant.objects.filter(slug="gd-sz").first()
    if tenant is None:
        from suite.tenancy.services import tenant_create
        tenant = tenant_create(slug="bench", name="bench", kind="city")
    key = api_key_create(tenant=tenant, name="bench", scopes=["callcenter"]).raw
    print(json.dumps({"key": key, "tenant": tenant.slug, "seeded": seeded}))
    """
)


def log(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(float(np.percentile(values, q)), 3)


def load_speech() -> np.ndarray:
    with wave.open(str(SPEECH_WAV)) as w:
        assert w.getframerate() == RATE and w.getsampwidth() == 2
        data = w.readframes(w.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


class Server:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        (workdir / "bench_cs_settings.py").write_text(SETTINGS)
        self.env = {
            **os.environ,
            "VAR_DIR": str(workdir / "var"),
            "DJANGO_SETTINGS_MODULE": "bench_cs_settings",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{workdir}",
            "LOG_LEVEL": "WARNING",
        }
        self.proc: subprocess.Popen | None = None

    def prepare(self) -> dict:
        run = dict(cwd=ROOT, env=self.env, check=True, capture_output=True, text=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], **run)
        out = subprocess.run([sys.executable, "-c", "import json\n" + SETUP], **run)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                str(BIN / "uvicorn"),
                "suite.asgi:application",
                "--host=127.0.0.1",
                f"--port={self.port}",
                "--lifespan=off",
                "--no-access-log",
                "--log-level=warning",
                "--ws-ping-interval=600",
                "--timeout-graceful-shutdown=5",
            ],
            cwd=ROOT,
            env=self.env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("uvicorn did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


async def connect(uri: str):
    from websockets.asyncio.client import connect as ws_connect

    return await ws_connect(uri, max_size=None, open_timeout=60, ping_interval=None)


async def warm_up(base: str, key: str, speech: np.ndarray) -> None:
    """One short call so the model is loaded before anything is timed."""
    ws = await connect(f"{base}/ws/callcenter/stream/?api_key={key}")
    await ws.send(json.dumps({"type": "start", "sample_rate": RATE, "language": "zh"}))
    await ws.recv()
    audio = np.concatenate([np.zeros(RATE // 2, np.float32), speech, np.zeros(RATE, np.float32)])
    await ws.send(pcm(audio[:RATE]))
    for start in range(RATE, audio.size, RATE):
        await ws.send(pcm(audio[start : start + RATE]))
    await ws.send(json.dumps({"type": "stop"}))
    while json.loads(await ws.recv())["type"] != "stopped":
        pass
    await ws.close()


# --- asr ----------------------------------------------------------------------------------


async def asr_call(uri: str, speech: np.ndarray, cycles: int, delay: float) -> dict:
    await asyncio.sleep(delay)
    lead = np.zeros(RATE // 2, np.float32)
    tail = np.zeros(speech.size - lead.size, np.float32)
    cycle = np.concatenate([lead, speech, tail])
    cycle_s = cycle.size / RATE
    speech_end_s = (lead.size + speech.size) / RATE
    audio = np.tile(cycle, cycles)
    frame = int(FRAME_S * RATE)
    ws = await connect(uri)
    await ws.send(json.dumps({"type": "start", "sample_rate": RATE, "language": "zh"}))
    assert json.loads(await ws.recv())["type"] == "started"
    last_final: dict[int, float] = {}  # cycle -> arrival of its last final
    partials = 0
    stopped = False
    t0 = 0.0

    async def receive():
        nonlocal partials, stopped
        async for raw in ws:
            message = json.loads(raw)
            partials += message["type"] == "transcript" and not message["final"]
            if message["type"] == "transcript" and message["final"]:
                # Which cycle's speech this final ends in (finals inside the speech, at a pause,
                # are superseded by the one that closes the utterance).
                index = min(cycles - 1, int(message["end_s"] // cycle_s))
                last_final[index] = time.perf_counter()
            elif message["type"] == "stopped":
                stopped = True
                return

    receiver = asyncio.create_task(receive())
    t0 = time.perf_counter()
    from websockets.exceptions import ConnectionClosed

    # A call the server drops (the socket closes before `stopped`) counts as dropped.
    with contextlib.suppress(ConnectionClosed):
        for n, start in enumerate(range(0, audio.size, frame)):
            await ws.send(pcm(audio[start : start + frame]))
            pause = t0 + (n + 1) * FRAME_S - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
        await ws.send(json.dumps({"type": "stop"}))
    # Finals that never come count as misses.
    with contextlib.suppress(TimeoutError, ConnectionClosed):
        await asyncio.wait_for(receiver, timeout=90)
    await ws.close()
    latencies = []
    for c in range(cycles):
        sent = t0 + c * cycle_s + speech_end_s
        arrived = last_final.get(c)
        latencies.append(arrived - sent if arrived is not None else float("inf"))
    return {"latencies": latencies, "partials": partials, "dropped": not stopped}


async def asr_step(base: str, key: str, speech: np.ndarray, calls: int, cycles: int) -> dict:
    uri = f"{base}/ws/callcenter/stream/?api_key={key}"
    cycle_s = 2 * speech.size / RATE
    results = await asyncio.gather(
        *(asr_call(uri, speech, cycles, i * cycle_s / calls) for i in range(calls))
    )
    values = [v for r in results for v in r["latencies"]]
    finite = [v for v in values if v != float("inf")]
    p95 = pct(values, 95) if len(finite) == len(values) else None
    return {
        "calls": calls,
        "utterances": len(values),
        "missed": len(values) - len(finite),
        "dropped_calls": sum(r["dropped"] for r in results),
        "final_latency_p50_s": pct(finite, 50),
        "final_latency_p95_s": p95,
        "sustained": p95 is not None and p95 < TARGET_P95_S,
        # Partials are best effort: the transcriber drops them as the model's load grows.
        "partials_per_utterance": round(sum(r["partials"] for r in results) / len(values), 2),
    }


# --- plumbing -----------------------------------------------------------------------------


async def plumbing_call(uri: str, seconds: float, go: asyncio.Event, report: dict) -> None:
    started_at = time.perf_counter()
    ws = await connect(uri)
    report["connect_s"].append(time.perf_counter() - started_at)
    await ws.send(json.dumps({"type": "start", "sample_rate": RATE}))
    first = json.loads(await ws.recv())
    seqs = [first["seq"]]
    await go.wait()
    frame = int(0.1 * RATE)
    silent = base64.b64encode(pcm(np.zeros(frame, np.float32))).decode()
    t0 = time.perf_counter()
    for n in range(int(seconds / 0.1)):
        await ws.send(json.dumps({"type": "audio", "seq": n + 1, "audio": silent}))
        pause = t0 + (n + 1) * 0.1 - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
    stop_at = time.perf_counter()
    await ws.send(json.dumps({"type": "stop"}))
    async for raw in ws:
        message = json.loads(raw)
        seqs.append(message["seq"])
        if message["type"] == "error":
            report["errors"].append(message["code"])
        if message["type"] == "stopped":
            report["stop_s"].append(time.perf_counter() - stop_at)
            break
    await ws.close()
    report["calls_ok"] += first["type"] == "started"
    report["seq_gaps"] += seqs != list(range(seqs[0], seqs[0] + len(seqs)))


async def plumbing(base: str, key: str, connections: int, seconds: float = 2.0) -> dict:
    uri = f"{base}/ws/callcenter/stream/?api_key={key}"
    desk = await connect(f"{base}/ws/customer-service/agent/?api_key={key}")
    hello = json.loads(await desk.recv())
    desk_seqs: list[int] = []
    desk_types: dict[str, int] = {}

    async def watch():
        async for raw in desk:
            message = json.loads(raw)
            desk_seqs.append(message["seq"])
            desk_types[message["type"]] = desk_types.get(message["type"], 0) + 1
            if desk_types.get("call.ended", 0) >= connections:
                return

    watcher = asyncio.create_task(watch())
    report = {"connect_s": [], "stop_s": [], "errors": [], "calls_ok": 0, "seq_gaps": 0}
    go = asyncio.Event()
    gate = asyncio.Semaphore(50)  # connect in waves, as a platform's pool would

    async def one():
        async with gate:
            pass
        await plumbing_call(uri, seconds, go, report)

    tasks = [asyncio.create_task(one()) for _ in range(connections)]
    while len(report["connect_s"]) < connections and not any(t.done() for t in tasks):
        await asyncio.sleep(0.1)
    began = time.perf_counter()
    go.set()
    outcome = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - began
    failures = [repr(o)[:120] for o in outcome if isinstance(o, BaseException)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(watcher, timeout=30)
    await desk.close()
    base_seq = hello["seq"].get("cs.calls", 0)
    return {
        "connections": connections,
        "audio_s_per_call": seconds,
        "calls_started_and_stopped": report["calls_ok"],
        "client_failures": len(failures),
        "failure_samples": failures[:3],
        "frame_gap_errors": report["errors"].count("frame_gap"),
        "other_errors": len(report["errors"]) - report["errors"].count("frame_gap"),
        "calls_with_seq_gaps": report["seq_gaps"],
        "connect_p50_s": pct(report["connect_s"], 50),
        "connect_p95_s": pct(report["connect_s"], 95),
        "stop_to_stopped_p50_s": pct(report["stop_s"], 50),
        "stop_to_stopped_p95_s": pct(report["stop_s"], 95),
        "streaming_wall_s": round(elapsed, 2),
        "desk_events": len(desk_seqs),
        "desk_event_types": desk_types,
        # Seqs are taken in worker threads, so two calls' events can arrive out of seq order;
        # what must not happen is a seq that never arrives.
        "desk_missing_seqs": len(
            set(range(base_seq + 1, base_seq + 1 + 2 * connections)) - set(desk_seqs)
        ),
        "desk_out_of_order": sum(b < a for a, b in itertools.pairwise(desk_seqs)),
    }


# --- turn ---------------------------------------------------------------------------------


async def one_turn(uri: str, speech: np.ndarray, timeout: float = 90.0) -> dict:
    """One call, one caller turn streamed in real time, then silence (still paced) until the
    first reply audio frame arrives. A fresh call per turn: no late event of an earlier turn can
    be mistaken for this one's."""
    frame = int(FRAME_S * RATE)
    lead = np.zeros(RATE // 2, np.float32)
    audio = np.concatenate([lead, speech])
    seen: dict = {
        "speech_end": None,
        "final": None,
        "first_media": None,
        "provider": None,
        "reply": None,
    }
    ws = await connect(uri)
    start = {"type": "start", "sample_rate": RATE, "language": "zh", "speak_replies": True}
    await ws.send(json.dumps(start))
    assert json.loads(await ws.recv())["type"] == "started"

    async def receive():
        async for raw in ws:
            message = json.loads(raw)
            now = time.perf_counter()
            if message["type"] == "transcript" and message["final"] and seen["final"] is None:
                seen["final"] = now
            elif message["type"] == "reply":
                seen["provider"] = message["provider"]
                seen["reply"] = message["text"]
            elif message["type"] == "media":
                seen["first_media"] = now
                return

    receiver = asyncio.create_task(receive())
    silence = pcm(np.zeros(frame, np.float32))
    t0 = time.perf_counter()
    n = 0
    while not receiver.done() and time.perf_counter() - t0 < timeout:
        start_sample = n * frame
        if start_sample < audio.size:
            await ws.send(pcm(audio[start_sample : start_sample + frame]))
        else:
            await ws.send(silence)
        n += 1
        if start_sample + frame >= audio.size and seen["speech_end"] is None:
            seen["speech_end"] = time.perf_counter()
        pause = t0 + n * FRAME_S - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
    receiver.cancel()
    await ws.close()
    return seen


def caller_questions() -> list[np.ndarray]:
    """Different questions (so different answers), spoken by the bundled Kokoro voice at 16 kHz."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from suite.ai.backends.base import BackendSpec
    from suite.ai.backends.tts_kokoro import KokoroBackend

    tts = KokoroBackend(BackendSpec("kokoro", "", {}))
    tts.load()
    out = []
    for text in QUESTIONS:
        clip = tts.synthesize(text)
        count = round(clip.samples.size * RATE / clip.sample_rate)
        grid = np.arange(count) * (clip.sample_rate / RATE)
        out.append(np.interp(grid, np.arange(clip.samples.size), clip.samples).astype(np.float32))
    return out


async def turn_latency(base: str, key: str, speech: np.ndarray, rounds: int) -> dict:
    """A warm-up turn (the voice model loads), then each question `rounds` times. A turn whose
    reply text was spoken before in this run is a repeat: its sentences come from the speech
    cache. Fresh and repeated replies are reported apart."""
    uri = f"{base}/ws/callcenter/stream/?api_key={key}"
    spoken: set[str] = set()
    warm = await one_turn(uri, speech)
    spoken.add(warm["reply"])
    fresh: list[float] = []
    repeated: list[float] = []
    finals: list[float] = []
    providers: set[str] = set()
    questions = await asyncio.to_thread(caller_questions)
    for _round in range(rounds):
        for question in questions:
            seen = await one_turn(uri, question)
            if seen["final"] is not None:
                finals.append(seen["final"] - seen["speech_end"])
            if seen["first_media"] is None:
                continue
            latency = seen["first_media"] - seen["speech_end"]
            (repeated if seen["reply"] in spoken else fresh).append(latency)
            spoken.add(seen["reply"])
            providers.add(seen["provider"])
    every = fresh + repeated
    return {
        "turns": rounds * len(QUESTIONS),
        "turns_with_reply_audio": len(every),
        "speech_end_to_first_reply_audio_p50_s": pct(every, 50),
        "speech_end_to_first_reply_audio_p95_s": pct(every, 95),
        "fresh_replies": len(fresh),
        "fresh_reply_p50_s": pct(fresh, 50),
        "repeated_replies": len(repeated),
        "repeated_reply_p50_s": pct(repeated, 50),
        "speech_end_to_final_transcript_p50_s": pct(finals, 50),
        "distinct_replies": len(spoken),
        "tts_providers": sorted(p for p in providers if p),
        "target_p50_s": 1.2,
    }


def whisper_baseline(speech: np.ndarray) -> dict:
    """One final of the test utterance by the same model in this process, no server: what the
    machine gives right now, through the live path and the full 30 s window path (what live
    calls used before), to read the server's figures against."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from suite.ai.backends.asr_faster_whisper import FasterWhisperBackend
    from suite.ai.backends.base import BackendSpec
    from suite.ai.types import AudioClip

    backend = FasterWhisperBackend(BackendSpec(engine="faster-whisper"))
    backend.load()
    clip = AudioClip(speech, RATE)
    paths = {
        "live_path_s": lambda: backend.transcribe_utterance(clip, language="zh"),
        "full_window_beam5_s": lambda: backend.transcribe(clip, language="zh", vad=False),
    }
    figures = {}
    for name, run in paths.items():
        run()
        times = []
        for _ in range(2):
            began = time.perf_counter()
            run()
            times.append(time.perf_counter() - began)
        figures[name] = round(min(times), 3)
    return figures


async def main_async(args, base: str, key: str) -> dict:
    speech = load_speech()
    out: dict = {}
    await warm_up(base, key, speech)
    log("warmed up")
    only = set(args.only.split(","))
    if "plumbing" in only:
        out["plumbing"] = await plumbing(base, key, args.connections)
        log("plumbing", out["plumbing"])
    if "asr" in only:
        baseline = whisper_baseline(speech)
        log("baseline", baseline)
        steps = []
        for calls in [int(c) for c in args.calls.split(",")]:
            steps.append(await asr_step(base, key, speech, calls, args.cycles))
            log("asr", steps[-1])
            if not steps[-1]["sustained"]:
                break  # more calls only take longer
        sustained = [s["calls"] for s in steps if s["sustained"]]
        out["asr"] = {
            "target": "final transcript p95 < 1.5 s after utterance end, each call half speech",
            "steps": steps,
            "max_calls_sustained": max(sustained) if sustained else 0,
            "baseline_whisper_one_utterance_in_process": baseline,
        }
    if "turn" in only:
        out["turn"] = await turn_latency(base, key, speech, args.rounds)
        log("turn", out["turn"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="plumbing,asr,turn")
    parser.add_argument("--calls", default="1,2,4,6,8,10,12")
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cs-calls-") as tmp:
        server = Server(Path(tmp))
        setup = server.prepare()
        log("prepared", setup["tenant"], "demo seeded:", setup["seeded"])
        server.start()
        try:
            load_before = os.getloadavg()
            figures = asyncio.run(main_async(args, f"ws://127.0.0.1:{server.port}", setup["key"]))
            load_after = os.getloadavg()
        finally:
            server.stop()
        if "turn" in args.only.split(","):
            # The baseline for the speech cache: the same turns with every reply synthesised.
            server.env["AI_SPEECH_CACHE_MB"] = "0"
            server.start()
            try:
                base = f"ws://127.0.0.1:{server.port}"
                figures["turn_without_speech_cache"] = asyncio.run(
                    turn_latency(base, setup["key"], load_speech(), args.rounds)
                )
            finally:
                server.stop()
    print(
        json.dumps(
            {
                "bench": "customer_service_calls",
                "server": "uvicorn, one process, suite.asgi:application",
                "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
                "channel_layer": "redis" if os.environ.get("REDIS_URL") else "in-memory",
                "cpu_count": os.cpu_count(),
                "loadavg_1m_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
                "demo_seeded": setup["seeded"],
                **figures,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
