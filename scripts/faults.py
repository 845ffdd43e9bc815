"""The production topology under faults and load (`make faults`).

Starts `scripts/topology.py`'s topology (production settings, PostgreSQL, its own Redis,
uvicorn --workers 2, one Celery worker per queue group, celery beat), with short job leases so
a lost worker is noticed in seconds (JOBS_LEASE_SECONDS 10, heartbeat 2 s, sweep every 3 s), and
runs three scenarios:

- ``jobs``: `--kills` SIGKILLs (default 20), round-robin over the four long job kinds (ringtone
  render, clip analysis, file transcription, hotline classifier training), alternating between
  killing the pool process that runs the job (Celery re-queues the message) and the whole worker
  (the lease sweep re-queues the job; the worker is started again, as a supervisor would). Each
  kill lands a random 0.1-1.0 s after the job started running. Invariants: every job ends
  succeeded (exactly one `succeeded` event on /ws/jobs/) or failed with a reason; one render
  file per render, one classifier version per training, no event twice for one frame and rule.
- ``redis``: `--drop-calls` live calls (native protocol, 100 ms frames, one spoken utterance
  each about every 15 s) and two jobs in progress; Redis stops answering (SIGSTOP) for
  `--drop-s` seconds, then comes back. A call whose socket drops reconnects and sends `resume`
  with its last seq; the jobs socket reconnects like the portal (jobs.js back-off). Invariants:
  every call ends `stopped` with no hole in its seqs, no job is lost, the jobs socket is
  connected again and sees events after the drop.
- ``load``: `--load-calls` sockets (default 50; 100 ms frames of silence, one spoken utterance
  per call, starts spread over the hold) and `--rps` REST requests per second (default 200: 3 of
  4 `GET /api/v1/jobs/` with a bearer token, 1 of 4 `GET /healthz`), open loop, for `--load-s`
  seconds. Invariants: no 5xx, no connection error, no seq gap and no frame gap.

Prints one JSON object with the figures; exits 1 if an invariant failed. Loopback only; every
wait is bounded.

    .venv/bin/python scripts/faults.py [--only jobs,redis,load] [--kills 20] [--drop-s 10]
        [--drop-calls 10] [--load-calls 50] [--rps 200] [--load-s 60] [--keep-db]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import random
import sys
import threading
import time
import traceback
import wave
from collections import Counter
from pathlib import Path

import numpy as np
from topology import ROOT, WORKER_OF_QUEUE, WORKERS, Topology, log

SPEECH_WAV = ROOT / "tests" / "ai" / "data" / "mandarin_phone_espeak.wav"
RATE = 16000
FRAME_S = 0.1
PASSWORD = "Demo-2026-suite"  # noqa: S105 - the demo logins (README)
KINDS = ("render", "clip", "transcribe", "train")
FAULT_ENV = {
    "JOBS_LEASE_SECONDS": "10",
    "JOBS_HEARTBEAT_SECONDS": "2",
    "JOBS_SWEEP_SECONDS": "3",
}


def pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 4) if values else None


def speech_pcm() -> bytes:
    with wave.open(str(SPEECH_WAV)) as w:
        assert w.getframerate() == RATE and w.getsampwidth() == 2 and w.getnchannels() == 1
        return w.readframes(w.getnframes())


# --- Django side: fixtures, starting jobs, checking side effects ------------------------------


class Suite:
    """The harness's own view of the database (the topology's production settings)."""

    def __init__(self, topo: Topology) -> None:
        os.environ.update(topo.env)
        # The harness (only) reads the database from its asyncio scenarios' threads.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from gov_hotline.models import ClassifierModel
        from suite.accounts.models import User
        from suite.accounts.services import api_key_create
        from suite.tenancy.models import Tenant
        from video_analytics.models import Camera
        from video_ringtone.models import Draft

        self.city = Tenant.objects.get(slug="gd-sz")
        self.hotline = Tenant.objects.get(slug="gd-12345")
        self.city_key = api_key_create(
            tenant=self.city,
            name="faults",
            scopes=["callcenter", "maas", "ringtone", "video"],
        ).raw
        self.hotline_key = api_key_create(
            tenant=self.hotline, name="faults", scopes=["hotline"]
        ).raw
        self.draft = Draft.objects.for_tenant(self.city).order_by("created_at").first()
        self.camera = (
            Camera.objects.for_tenant(self.city).filter(name="福田营业厅大堂").first()
            or Camera.objects.for_tenant(self.city).first()
        )
        self.subscriber = User.objects.get(phone="13800138000")
        self.admin = User.objects.get(username="sz_admin")
        self.speech = speech_pcm()
        self.speech_wav = SPEECH_WAV.read_bytes()
        self.clip = self._clip_bytes()
        self.Classifier = ClassifierModel

    def _clip_bytes(self) -> bytes:
        import tempfile

        import cv2

        from video_analytics.scenes import street_frames

        frames = street_frames(60, text="福田营业厅 1号门")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "clip.mp4"
            h, w = frames[0].shape[:2]
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 5.0, (w, h))
            for frame in frames:
                writer.write(frame)
            writer.release()
            return path.read_bytes()

    def job(self, job_id):
        from suite.jobs.models import Job

        return Job.objects.get(pk=job_id)

    def unfinished_jobs(self, since) -> int:
        from suite.jobs.models import Job, JobStatus

        unfinished = [JobStatus.QUEUED, JobStatus.RUNNING]
        return Job.objects.filter(status__in=unfinished, created_at__gte=since).count()

    def start(self, kind: str) -> dict:
        """Starts one job of `kind` through its product's service; returns what to check."""
        if kind == "render":
            from video_ringtone.services.rendering import render_start

            render = render_start(draft=self.draft, user=self.subscriber, profile="standard")
            return {"job": render.job_id, "render": render.pk}
        if kind == "clip":
            from django.core.files.uploadedfile import SimpleUploadedFile

            from video_analytics.services import clip_analysis_start

            upload = SimpleUploadedFile("door.mp4", self.clip, content_type="video/mp4")
            analysis = clip_analysis_start(camera=self.camera, upload=upload, created_by=self.admin)
            return {"job": analysis.job_id, "analysis": analysis.pk}
        if kind == "transcribe":
            from suite.ai.jobs import transcription_job_start

            job = transcription_job_start(tenant=self.city, audio=self.speech_wav, language="zh")
            return {"job": job.pk}
        if kind == "train":
            from gov_hotline.training import classifier_train_start

            before = self.Classifier.objects.for_tenant(self.hotline).count()
            return {"job": classifier_train_start(tenant=self.hotline).pk, "versions": before}
        raise ValueError(kind)

    def side_effects(self, kind: str, started: dict) -> dict:
        """What the job left behind, and how much of it is duplicated."""
        job = self.job(started["job"])
        out: dict = {"duplicates": 0}
        if kind == "render":
            from video_ringtone.models import Render
            from video_ringtone.services.common import media_path
            from video_ringtone.services.rendering import render_folder

            render = Render.objects.get(pk=started["render"])
            folder = media_path(render_folder(render.tenant_id, render.pk))
            files = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
            videos = [f for f in files if f.endswith(".mp4")]
            out.update(render_status=render.status, files=files)
            out["duplicates"] = max(0, len(videos) - 1)
            if job.status == "succeeded" and not (folder / "ringtone.mp4").stat().st_size:
                out["problem"] = "empty ringtone.mp4"
        elif kind == "clip":
            from video_analytics.models import Event

            rows = list(
                Event.objects.filter(analysis_id=started["analysis"]).values_list(
                    "rule_id", "kind", "frame_index"
                )
            )
            out.update(events=len(rows))
            out["duplicates"] = len(rows) - len(set(rows))
        elif kind == "train":
            made = self.Classifier.objects.for_tenant(self.hotline).count() - started["versions"]
            out.update(versions_made=made)
            out["duplicates"] = max(0, made - (1 if job.status == "succeeded" else 0))
        elif kind == "transcribe":
            out.update(characters=len((job.result or {}).get("text", "")))
        return out


# --- WebSocket clients ------------------------------------------------------------------------


async def ws_connect(uri: str):
    from websockets.asyncio.client import connect

    return await connect(uri, max_size=None, open_timeout=30, ping_interval=None, close_timeout=5)


class JobsWatcher:
    """A /ws/jobs/ client that behaves like the portal's jobs.js: it reconnects after a drop
    (back-off 2, 4, 8 ... 30 s) and resyncs; it counts `succeeded` events per job."""

    def __init__(self, base: str, key: str, name: str) -> None:
        self.uri = f"{base}/ws/jobs/?api_key={key}"
        self.name = name
        self.connected = False
        self.connects = 0
        self.drops: list[float] = []
        self.reconnected: list[float] = []
        self.events: list[tuple[float, str, str]] = []  # (time, job id, status)
        self.gaps = 0
        self.max_backoff_s = 30.0
        self.last_error = ""

    def succeeded(self) -> Counter:
        return Counter(job for _t, job, status in self.events if status == "succeeded")

    async def run(self, stop: asyncio.Event) -> None:
        retry = 0
        while not stop.is_set():
            try:
                ws = await ws_connect(self.uri)
            except Exception:
                ws = None
            if ws is not None:
                self.connects += 1
                self.connected, retry = True, 0
                if self.drops:
                    self.reconnected.append(time.monotonic())
                last: dict[str, int] = {}
                try:
                    while not stop.is_set():
                        try:
                            raw = await asyncio.wait_for(ws.recv(), 1.0)
                        except TimeoutError:
                            continue
                        msg = json.loads(raw)
                        if msg.get("type") == "hello":
                            last = dict(msg.get("seq", {}))
                            continue
                        group, seq = msg.get("group"), msg.get("seq")
                        if group is not None and seq is not None:
                            if group in last and seq > last[group] + 1:
                                self.gaps += 1  # the portal re-reads the list over REST
                            last[group] = max(seq, last.get(group, 0))
                        if msg.get("type") == "job.updated":
                            job = msg["job"]
                            self.events.append((time.monotonic(), job["id"], job["status"]))
                except Exception as exc:  # the socket dropped: reconnect below
                    self.last_error = repr(exc)[:200]
                with contextlib.suppress(Exception):
                    await ws.close()
                self.connected = False
                if stop.is_set():
                    return
                self.drops.append(time.monotonic())
            retry = min(retry + 1, 6)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(self.max_backoff_s, 2.0**retry))


class Call:
    """One live call over the native protocol: 100 ms frames (with frame numbers) paced by the
    clock, silence except for the utterances planned at `speak_at` seconds. A dropped socket is
    reconnected and the call resumed with its last seq, per README "Call-center WebSocket"."""

    def __init__(self, base: str, key: str, speech: bytes, seconds: float, speak_at: list[float]):
        self.uri = f"{base}/ws/callcenter/stream/?api_key={key}"
        self.speech, self.seconds, self.speak_at = speech, seconds, speak_at
        self.call_id: str | None = None
        self.seqs: set[int] = set()
        self.types: Counter = Counter()
        self.errors: Counter = Counter()
        self.drops = 0
        self.resumed = 0
        self.resume_exact: list[bool] = []
        self.resume_refused = 0
        self.started = False
        self.stopped = False
        self.failure: str | None = None
        self.frame_seq = 0
        self.last_error = ""
        self.ws = None
        self._receiver: asyncio.Task | None = None
        self._alive = asyncio.Event()

    def last_seq(self) -> int:
        n = 0
        while n + 1 in self.seqs:
            n += 1
        return n

    def missing(self) -> int:
        """Seqs never received between 1 and the highest one (replays may repeat, not skip)."""
        return len(set(range(1, max(self.seqs, default=0) + 1)) - self.seqs)

    async def _receive(self, ws) -> None:
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    continue
                msg = json.loads(raw)
                kind = msg.get("type")
                self.types[kind] += 1
                if msg.get("seq") is not None:
                    self.seqs.add(msg["seq"])
                if kind == "error":
                    self.errors[msg.get("code")] += 1
                elif kind == "stopped":
                    self.stopped = True
                    return
                elif kind == "resumed":
                    self.resumed += 1
                    self.resume_exact.append(bool(msg.get("exact")))
        except Exception as exc:  # the socket dropped: the sender notices and resumes
            self.last_error = repr(exc)[:200]
        finally:
            # An abandoned resume attempt's socket (closed 4409 once a later attempt took the
            # call over) says nothing about the current one.
            if ws is self.ws:
                self._alive.clear()

    async def _open(self, first: dict) -> dict:
        ws = await ws_connect(self.uri)
        await ws.send(json.dumps(first))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 30))
        self.ws = ws
        return reply

    async def _reconnect(self) -> bool:
        """Resume after a drop; bounded: 8 tries over about a minute."""
        self.drops += 1
        for attempt in range(8):
            await asyncio.sleep(min(8.0, 0.5 * 2**attempt))
            try:
                resume = {
                    "type": "resume",
                    "call_id": self.call_id,
                    "last_seq": self.last_seq(),
                    "last_frame_seq": self.frame_seq,
                }
                ws = await ws_connect(self.uri)
                await ws.send(json.dumps(resume))
            except Exception as exc:
                self.last_error = repr(exc)[:200]
                continue
            self.ws = ws
            self._alive.set()
            self._receiver = asyncio.create_task(self._receive(ws))
            # replayed events, then `resumed` (or a close: 4404 = cannot be resumed)
            deadline = time.monotonic() + 30
            before = self.resumed
            while time.monotonic() < deadline and self.resumed == before and self._alive.is_set():
                await asyncio.sleep(0.05)
            if self.resumed > before:
                return True
            if ws.close_code == 4404:
                self.resume_refused += 1
                return False
            # No answer in time: hang up this attempt before the next, as a real client must (a
            # socket left open would be taken over by the next attempt and read as a drop).
            self._receiver.cancel()
            with contextlib.suppress(Exception):
                await ws.close()
        return False

    async def run(self, delay: float = 0.0) -> None:
        await asyncio.sleep(delay)
        try:
            first = await self._open({"type": "start", "sample_rate": RATE, "language": "zh"})
        except Exception as exc:
            self.failure = f"start: {exc!r}"[:200]
            return
        if first.get("type") != "started":
            self.failure = f"start refused: {first}"[:200]
            return
        self.started, self.call_id = True, first["call_id"]
        self.types["started"] += 1
        self.seqs.add(first["seq"])
        self._alive.set()
        self._receiver = asyncio.create_task(self._receive(self.ws))
        frame_bytes = int(FRAME_S * RATE) * 2
        silence = bytes(frame_bytes)
        spoken = {round(t / FRAME_S): t for t in self.speak_at}
        speech_frames: list[bytes] = []
        t0 = time.monotonic()
        for n in range(int(self.seconds / FRAME_S)):
            if n in spoken:
                speech_frames = [
                    self.speech[i : i + frame_bytes].ljust(frame_bytes, b"\0")
                    for i in range(0, len(self.speech), frame_bytes)
                ]
            chunk = speech_frames.pop(0) if speech_frames else silence
            self.frame_seq += 1
            frame = {
                "type": "audio",
                "seq": self.frame_seq,
                "audio": base64.b64encode(chunk).decode(),
            }
            try:
                if not self._alive.is_set():
                    raise ConnectionError("socket closed")
                await self.ws.send(json.dumps(frame))
            except Exception:
                if not await self._reconnect():
                    self.failure = "could not resume"
                    return
            pause = t0 + (n + 1) * FRAME_S - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
        for _ in range(3):
            with contextlib.suppress(Exception):
                await self.ws.send(json.dumps({"type": "stop"}))
                await asyncio.wait_for(asyncio.shield(self._receiver), 90)
            if self.stopped or not await self._reconnect():
                break
        with contextlib.suppress(Exception):
            await self.ws.close()
        if not self.stopped and self.failure is None:
            code = getattr(self.ws, "close_code", None)
            self.failure = f"no `stopped` (close {code}, drops {self.drops}): {self.last_error}"


def calls_report(calls: list[Call]) -> dict:
    return {
        "calls": len(calls),
        "started": sum(c.started for c in calls),
        "stopped_cleanly": sum(c.stopped for c in calls),
        "sockets_dropped": sum(c.drops for c in calls),
        "calls_with_a_drop": sum(c.drops > 0 for c in calls),
        "resumed": sum(c.resumed for c in calls),
        "resumed_exact": sum(sum(c.resume_exact) for c in calls),
        "resume_refused": sum(c.resume_refused for c in calls),
        "failed": sum(c.failure is not None for c in calls),
        "failure_samples": [c.failure for c in calls if c.failure][:5],
        "calls_with_seq_gaps": sum(c.missing() > 0 for c in calls),
        "missing_seqs": sum(c.missing() for c in calls),
        "frame_gap_errors": sum(c.errors["frame_gap"] for c in calls),
        "errors": dict(sum((c.errors for c in calls), Counter())),
        "final_transcripts": sum(c.types["transcript"] for c in calls),
        "events": sum(sum(c.types.values()) for c in calls),
    }


# --- scenario: kills --------------------------------------------------------------------------


def _wait_status(suite: Suite, job_id, done, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = suite.job(job_id)
        if done(job):
            return job
        time.sleep(0.05)
    return suite.job(job_id)


def _pool_pid(topo: Topology, worker: str, task_id: str) -> int | None:
    """The pool process running `task_id` (Celery's remote control knows), else the only one."""
    from suite.celery import app

    with contextlib.suppress(Exception):
        active = app.control.inspect(destination=[f"{worker}@faults"], timeout=2).active() or {}
        for tasks in active.values():
            for task in tasks:
                if task.get("id") == task_id and task.get("worker_pid"):
                    return int(task["worker_pid"])
    children = topo.worker_children(worker)
    return children[0] if len(children) == 1 else None


def settle(suite: Suite, since, timeout: float = 600) -> None:
    """Lets the jobs seed_demo queued (renditions, the first classifier training) finish.
    Only this run's: with --keep-db, jobs queued in an earlier run's Redis are gone with it."""
    deadline = time.monotonic() + timeout
    while suite.unfinished_jobs(since) and time.monotonic() < deadline:
        time.sleep(1)


def scenario_jobs(topo: Topology, suite: Suite, base: str, kills: int, seed: int) -> dict:
    rng = random.Random(seed)
    stop = asyncio.Event()
    watchers = [
        JobsWatcher(base, suite.city_key, "gd-sz"),
        JobsWatcher(base, suite.hotline_key, "gd-12345"),
    ]
    loop = asyncio.new_event_loop()

    async def watch() -> None:
        await asyncio.gather(*(w.run(stop) for w in watchers))

    thread = threading.Thread(target=loop.run_until_complete, args=(watch(),), daemon=True)
    thread.start()
    time.sleep(2)
    rows = []
    missed = 0
    try:
        for i in range(kills):
            kind = KINDS[i % len(KINDS)]
            mode = ("pool", "worker")[(i // len(KINDS)) % 2]
            row = {"kind": kind, "mode": mode}
            for attempt in range(3):
                started = suite.start(kind)
                job = _wait_status(suite, started["job"], lambda j: j.status != "queued", 180)
                worker = WORKER_OF_QUEUE[job.queue]
                time.sleep(rng.uniform(0.1, 1.0) if attempt == 0 else 0.0)
                job = suite.job(started["job"])
                if job.status != "running":
                    missed += 1  # finished before the kill: not a kill in the middle
                    continue
                pid = _pool_pid(topo, worker, job.lease_owner) if mode == "pool" else None
                if mode == "pool" and pid is not None:
                    topo.kill_pool_child(worker, pid)
                else:
                    row["mode"] = "worker"
                    topo.kill_worker(worker)
                row.update(job=str(job.pk), progress_at_kill=job.progress, worker=worker)
                killed_at = time.monotonic()
                if row["mode"] == "worker":
                    topo.wait_worker(worker)
                job = _wait_status(suite, started["job"], lambda j: j.is_finished, 300)
                row.update(
                    status=job.status,
                    error=job.error[:160],
                    attempts=job.attempts,
                    requeues=job.requeues,
                    recovered_in_s=round(time.monotonic() - killed_at, 1),
                    **suite.side_effects(kind, started),
                )
                break
            else:
                row["status"] = "not killed"
            rows.append(row)
            log("kill", i + 1, json.dumps(row, ensure_ascii=False, default=str)[:300])
        time.sleep(3)  # the last events
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
    succeeded_events = sum((w.succeeded() for w in watchers), Counter())
    for row in rows:
        if "job" in row:
            row["succeeded_events"] = succeeded_events.get(row["job"], 0)
    killed = [r for r in rows if "job" in r]
    problems = []
    for r in killed:
        if r["status"] == "succeeded" and r["succeeded_events"] != 1:
            problems.append(f"{r['job']} ({r['kind']}): {r['succeeded_events']} succeeded events")
        if r["status"] == "failed" and not r["error"]:
            problems.append(f"{r['job']} ({r['kind']}): failed without a reason")
        if r["status"] not in ("succeeded", "failed"):
            problems.append(f"{r['job']} ({r['kind']}): still {r['status']}")
        if r["duplicates"]:
            problems.append(f"{r['job']} ({r['kind']}): {r['duplicates']} duplicate side effects")
        if r.get("problem"):
            problems.append(f"{r['job']} ({r['kind']}): {r['problem']}")
    by_kind = {}
    for kind in KINDS:
        mine = [r for r in killed if r["kind"] == kind]
        by_kind[kind] = {
            "kills": len(mine),
            "succeeded": sum(r["status"] == "succeeded" for r in mine),
            "failed_with_reason": sum(r["status"] == "failed" and bool(r["error"]) for r in mine),
            "duplicates": sum(r["duplicates"] for r in mine),
            "recovery_p50_s": pct([r["recovered_in_s"] for r in mine], 50),
        }
    return {
        "kills": len(killed),
        "kills_by_mode": dict(Counter(r["mode"] for r in killed)),
        "jobs_finished_before_the_kill": missed,
        "succeeded": sum(r["status"] == "succeeded" for r in killed),
        "failed_with_reason": sum(r["status"] == "failed" and bool(r["error"]) for r in killed),
        "duplicate_side_effects": sum(r["duplicates"] for r in killed),
        "by_kind": by_kind,
        "jobs_socket_gaps": sum(w.gaps for w in watchers),
        "problems": problems,
        "ok": not problems and len(killed) == kills,
        "rows": rows,
    }


# --- scenario: Redis drop ---------------------------------------------------------------------


async def scenario_redis(
    topo: Topology, suite: Suite, base: str, calls: int, drop_s: float, mode: str
) -> dict:
    stop = asyncio.Event()
    watcher = JobsWatcher(base, suite.city_key, "gd-sz")
    watcher.max_backoff_s = 8.0
    watching = asyncio.create_task(watcher.run(stop))
    hold_s = drop_s + 40
    # The drop comes 12 s in; each call speaks about every 15 s, starts spread over 5 s.
    plans = [
        Call(base, suite.city_key, suite.speech, hold_s, [1.0 + 15.0 * k for k in range(3)])
        for _ in range(calls)
    ]
    running = [asyncio.create_task(c.run(i * 5.0 / max(calls, 1))) for i, c in enumerate(plans)]
    await asyncio.sleep(8)
    jobs = [await asyncio.to_thread(suite.start, kind) for kind in ("render", "transcribe")]
    await asyncio.sleep(4)
    log(f"redis {mode} for {drop_s:.0f} s")
    dropped_at = time.monotonic()
    if mode == "restart":
        await asyncio.to_thread(topo.restart_redis)
        await asyncio.sleep(drop_s)
    else:
        topo.pause_redis()
        await asyncio.sleep(drop_s)
        topo.resume_redis()
    restored_at = time.monotonic()
    log("redis back")
    await asyncio.gather(*running)
    deadline = time.monotonic() + 240
    finished = []
    while time.monotonic() < deadline:
        finished = [await asyncio.to_thread(suite.job, j["job"]) for j in jobs]
        if all(j.is_finished for j in finished):
            break
        await asyncio.sleep(1)
    await asyncio.sleep(2)
    stop.set()
    await watching
    after = [e for e in watcher.events if e[0] > restored_at]
    job_rows = [
        {"kind": j.kind, "status": j.status, "error": j.error[:160], "attempts": j.attempts}
        for j in finished
    ]
    report = {
        "mode": "SIGSTOP/SIGCONT (Redis unreachable, nothing lost)"
        if mode == "pause"
        else "killed and restarted empty",
        "drop_s": round(restored_at - dropped_at, 1),
        "calls": calls_report(plans),
        "jobs": job_rows,
        "jobs_lost": sum(j["status"] not in ("succeeded", "failed") for j in job_rows),
        "jobs_failed_without_reason": sum(
            j["status"] == "failed" and not j["error"] for j in job_rows
        ),
        "jobs_socket": {
            "drops": len(watcher.drops),
            "reconnects": len(watcher.reconnected),
            "reconnected_s_after_restore": round(
                min((t for t in watcher.reconnected if t > restored_at), default=0.0) - restored_at,
                1,
            )
            if any(t > restored_at for t in watcher.reconnected)
            else None,
            "events_after_restore": len(after),
            "gaps": watcher.gaps,
        },
    }
    c = report["calls"]
    problems = []
    if c["stopped_cleanly"] != calls or c["failed"]:
        problems.append(f"{calls - c['stopped_cleanly']} calls did not end with `stopped`")
    if c["calls_with_seq_gaps"]:
        problems.append(f"{c['calls_with_seq_gaps']} calls with seq gaps")
    if report["jobs_lost"] or report["jobs_failed_without_reason"]:
        problems.append("a job was lost or failed without a reason")
    if not after:
        problems.append("the jobs socket saw no event after Redis came back")
    report["problems"] = problems
    report["ok"] = not problems
    return report


# --- scenario: load ---------------------------------------------------------------------------


async def rest_load(base_http: str, token: str, rps: int, seconds: float) -> dict:
    import aiohttp

    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    lag: list[float] = []
    paths = ["/api/v1/jobs/?page_size=10"] * 3 + ["/healthz"]
    auth = {"Authorization": f"Bearer {token}"}
    gate = asyncio.Semaphore(256)
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_http, connector=connector, timeout=timeout) as session:

        async def one(path: str, due: float) -> None:
            async with gate:
                began = time.monotonic()
                lag.append(began - due)
                try:
                    async with session.get(path, headers=auth) as resp:
                        await resp.read()
                        statuses[resp.status] += 1
                except Exception as exc:
                    errors[type(exc).__name__] += 1
                    return
                latencies.append(time.monotonic() - began)

        t0 = time.monotonic()
        tasks = []
        for n, path in zip(range(int(rps * seconds)), itertools.cycle(paths), strict=False):
            due = t0 + n / rps
            pause = due - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            tasks.append(asyncio.create_task(one(path, due)))
        sent_s = time.monotonic() - t0
        await asyncio.gather(*tasks)
        total_s = time.monotonic() - t0
    done = sum(statuses.values())
    return {
        "target_rps": rps,
        "seconds": seconds,
        "requests": len(tasks),
        "completed": done,
        "achieved_rps": round(done / total_s, 1),
        "offered_rps": round(len(tasks) / sent_s, 1),
        "status": {str(k): v for k, v in sorted(statuses.items())},
        "5xx": sum(v for k, v in statuses.items() if k >= 500),
        "connection_errors": dict(errors),
        "latency_p50_ms": round(pct(latencies, 50) * 1000) if latencies else None,
        "latency_p95_ms": round(pct(latencies, 95) * 1000) if latencies else None,
        "latency_max_ms": round(max(latencies) * 1000) if latencies else None,
        "queued_behind_256_in_flight_p95_s": pct(lag, 95),
    }


async def scenario_load(base: str, suite: Suite, calls: int, rps: int, seconds: float) -> dict:
    import aiohttp

    base_http = base.replace("ws://", "http://")
    login = {"username": "sz_admin", "password": PASSWORD}
    async with (
        aiohttp.ClientSession(base_http) as session,
        session.post("/api/v1/auth/token/", json=login) as resp,
    ):
        token = (await resp.json())["token"]
    rng = random.Random(7)
    hold = seconds + 10  # sockets open 5 s before and stay 5 s after the REST load
    plans = [
        Call(base, suite.city_key, suite.speech, hold, [rng.uniform(8, seconds - 2)])
        for _ in range(calls)
    ]
    running = [asyncio.create_task(c.run(i * 5.0 / max(calls, 1))) for i, c in enumerate(plans)]
    await asyncio.sleep(5)
    rest = await rest_load(base_http, token, rps, seconds)
    await asyncio.gather(*running)
    c = calls_report(plans)
    problems = []
    if rest["5xx"] or rest["connection_errors"]:
        problems.append(f"REST: {rest['5xx']} 5xx, errors {rest['connection_errors']}")
    if c["stopped_cleanly"] != calls or c["calls_with_seq_gaps"] or c["frame_gap_errors"]:
        problems.append("calls: not all stopped cleanly, or gaps")
    return {
        "calls": c,
        "call_load": f"{calls} sockets, 100 ms frames of 16 kHz PCM for {hold:.0f} s each, "
        f"silence except one 5.45 s spoken utterance per call (real Whisper base ASR)",
        "rest": rest,
        "problems": problems,
        "ok": not problems,
    }


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="jobs,redis,load")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--drop-s", type=float, default=10.0)
    parser.add_argument("--drop-calls", type=int, default=10)
    parser.add_argument("--drop-mode", choices=["pause", "restart"], default="pause")
    parser.add_argument("--load-calls", type=int, default=50)
    parser.add_argument("--rps", type=int, default=200)
    parser.add_argument("--load-s", type=float, default=60.0)
    parser.add_argument("--db", default="suite_faults")
    parser.add_argument("--keep-db", action="store_true", help="reuse the database (faster)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    only = set(args.only.split(","))
    out: dict = {"cpu_count": os.cpu_count(), "loadavg_before": os.getloadavg()[0]}
    began = time.monotonic()
    from datetime import UTC, datetime

    since = datetime.now(UTC)
    with Topology(db=args.db, keep_db=args.keep_db, env=FAULT_ENV) as topo:
        base = f"ws://127.0.0.1:{topo.port}"
        suite = Suite(topo)
        log("waiting for the seeded jobs")
        settle(suite, since)
        out["topology"] = {
            "settings": "DJANGO_ENV=production, SECURE_SSL_REDIRECT=false",
            "web": f"uvicorn --workers {topo.web_workers}",
            "workers": {n: f"-Q {q} -c {c}" for n, (q, c) in WORKERS.items()},
            "beat": True,
            **FAULT_ENV,
        }
        scenarios = {
            "jobs": lambda: scenario_jobs(topo, suite, base, args.kills, args.seed),
            "redis": lambda: asyncio.run(
                scenario_redis(topo, suite, base, args.drop_calls, args.drop_s, args.drop_mode)
            ),
            "load": lambda: asyncio.run(
                scenario_load(base, suite, args.load_calls, args.rps, args.load_s)
            ),
        }
        for name, run in scenarios.items():
            if name not in only:
                continue
            try:
                out[name] = run()
            except Exception as exc:  # the harness itself broke: report it, run the rest
                log(f"{name} scenario crashed:", traceback.format_exc())
                out[name] = {"ok": False, "problems": [f"harness error: {exc!r}"[:300]]}
        out["processes_restarted"] = {
            name: proc.starts - 1 for name, proc in topo.procs.items() if proc.starts > 1
        }
    out["loadavg_after"] = os.getloadavg()[0]
    out["wall_s"] = round(time.monotonic() - began)
    out["ok"] = all(out[s]["ok"] for s in ("jobs", "redis", "load") if s in out)
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
