"""Video analytics on one CPU core: pipeline throughput and frame-to-alert latency.

The process pins itself to one core and sets OpenCV to one thread, so "fps" is frames per
second per core and `cameras_at_5fps` is how many 5 fps cameras one core sustains. The scene is
synthetic, 640x480 (video_analytics.scenes: a figure crossing a textured street past a poster
with a real face), looped. Measured in one process on a temporary SQLite database:

- baseline_motion_fps: MOG2 alone on every frame (the floor everything else is compared to);
- pipeline_fps: the default pipeline (motion, people via HOG on moving frames, faces via
  BlazeFace on every frame, tracking, tampering, scene tags), every model call metered through
  suite.ai.gateway;
- analyser_fps: the same plus rules, event records, blurred snapshots and clips;
- alert latency: from a frame reaching the analyser to the alert arriving at a WebSocket
  client of the real ASGI app (uvicorn, in-memory channel layer), for intrusion events;
  baseline: a bare tenant_group_send to the same client.

Prints one JSON object.  .venv/bin/python bench/video_analytics_pipeline.py [--frames 300]
"""

import argparse
import asyncio
import json
import os
import platform
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-va-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import cv2  # noqa: E402

CAMERA_FPS = 5
TARGET_CAMERAS = 8


def pin_to_one_core() -> int:
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    cv2.setNumThreads(1)
    return core


def fps_of(fn, frames) -> float:
    started = time.perf_counter()
    for i, frame in enumerate(frames):
        fn(i, frame)
    return len(frames) / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--passes", type=int, default=8, help="figures crossing, for latency")
    args = parser.parse_args()
    core = pin_to_one_core()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from suite.ai import gateway
    from suite.tenancy.models import TenantKind
    from suite.tenancy.services import tenant_get_or_create
    from video_analytics import services
    from video_analytics.analysis import CameraAnalyser
    from video_analytics.motion import MotionDetector
    from video_analytics.pipeline import Frame, build_pipeline
    from video_analytics.scenes import figure_box, street_frames

    province = tenant_get_or_create(slug="bench-p", name="bench", kind=TenantKind.PROVINCE)
    tenant = tenant_get_or_create(
        slug="bench-va", name="bench", kind=TenantKind.CITY, parent=province
    )
    caller = gateway.Caller(tenant=tenant)
    # a figure crosses in about 30% of the frames, like a quiet corridor (as bench/vision.py)
    clip = street_frames(150)
    busy = sum(1 for i in range(150) if -60 < figure_box(i)[0] < 640) / 150
    frames = [clip[i % len(clip)] for i in range(args.frames)]
    from django.utils import timezone

    now = timezone.now()

    # warm-up: model loads, first DB pages
    warm = build_pipeline(caller)
    for i, frame in enumerate(frames[:20]):
        warm.run(Frame(index=i, t=i / 5, at=now, image=frame))

    motion = MotionDetector()
    baseline = fps_of(lambda i, f: motion.update(f), frames)
    pipeline = build_pipeline(caller)
    pipeline_fps = fps_of(
        lambda i, f: pipeline.run(Frame(index=i, t=i / 5, at=now, image=f)), frames
    )

    camera = services.camera_create(tenant=tenant, name="bench")
    zone = services.zone_save(
        camera=camera, name="right", points=[[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
    )
    services.rule_save(
        camera=camera, name="intrusion", kind="intrusion", zone=zone, params={"target": "any"}
    )
    analyser = CameraAnalyser(camera=camera, caller=caller, sample_fps=CAMERA_FPS)
    analyser_fps = fps_of(lambda i, f: analyser.feed(i, i / CAMERA_FPS, f), frames)
    analyser.finish()

    latency = alert_latency(tenant, camera, caller, clip, args.passes)
    print(
        json.dumps(
            {
                "benchmark": "video_analytics_pipeline",
                "python": platform.python_version(),
                "core": core,
                "frame": "640x480",
                "frames": args.frames,
                "busy_share": round(busy, 2),
                "baseline_motion_fps": round(baseline, 1),
                "pipeline_fps": round(pipeline_fps, 1),
                "pipeline_stage_ms_per_frame": {
                    k: v["ms_per_frame"] for k, v in pipeline.timing_report().items()
                },
                "analyser_fps": round(analyser_fps, 1),
                "cameras_at_5fps": int(analyser_fps // CAMERA_FPS),
                "target_cameras_at_5fps": TARGET_CAMERAS,
                "meets_target": analyser_fps // CAMERA_FPS >= TARGET_CAMERAS,
                **latency,
            },
            indent=2,
        )
    )


def alert_latency(tenant, camera, caller, clip, passes: int) -> dict:
    """Serves suite.asgi with uvicorn on a loop we own, feeds frames from a thread of that loop
    (as a request would), and times alerts at a websockets client."""
    import uvicorn
    from asgiref.sync import sync_to_async
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from websockets.sync.client import connect

    from suite.accounts.models import User
    from suite.asgi import application
    from suite.realtime.publish import tenant_group_send
    from suite.tenancy.models import Role
    from suite.tenancy.services import membership_grant
    from video_analytics.analysis import CameraAnalyser
    from video_analytics.services import ALERTS_GROUP

    user, _ = User.objects.get_or_create(username="bench-analyst")
    membership_grant(user=user, tenant=tenant, role=Role.VIDEO_ANALYST)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    received: list[tuple[float, dict]] = []
    socket_ = connect(
        f"ws://127.0.0.1:{port}/ws/video-analytics/alerts/",
        additional_headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
            "Origin": f"http://127.0.0.1:{port}",
        },
        legacy=True,
    )
    socket_.recv(timeout=10)  # hello

    def listen():
        try:
            while True:
                message = json.loads(socket_.recv())
                received.append((time.time(), message))
        except Exception:  # closed at the end
            return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()

    def in_server(fn):
        # like a request: a worker thread of the server's loop, so group_send lands on it
        return asyncio.run_coroutine_threadsafe(sync_to_async(fn)(), loop).result()

    # baseline: the bare publish path, no analysis
    sends = []
    for _ in range(20):
        sent = time.time()
        in_server(
            lambda s=sent: tenant_group_send(tenant.pk, ALERTS_GROUP, {"type": "probe", "sent": s})
        )
        sends.append(sent)
        time.sleep(0.02)
    time.sleep(0.3)
    probes = [at - m["sent"] for at, m in received if m.get("type") == "probe"]

    analyser = in_server(lambda: CameraAnalyser(camera=camera, caller=caller, sample_fps=5))
    for n in range(passes):
        for i, frame in enumerate(clip):
            in_server(lambda i=i, f=frame, n=n: analyser.feed(n * 100 + i, (n * 100 + i) / 5, f))
    in_server(analyser.finish)
    time.sleep(0.5)
    alerts = [
        at - m["event"]["frame_at"]
        for at, m in received
        if m.get("type") == "va.event" and "frame_at" in m["event"]
    ]
    socket_.close()
    server.should_exit = True
    thread.join(timeout=5)

    def ms(values, q):
        if not values:
            return None
        values = sorted(values)
        return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)

    return {
        "alerts_received": len(alerts),
        "alert_latency_ms_p50": ms(alerts, 0.5),
        "alert_latency_ms_max": ms(alerts, 1.0),
        "baseline_publish_latency_ms_p50": ms(probes, 0.5),
        "latency_note": "frame reaching the analyser -> alert at a WebSocket client of the "
        "real ASGI app; the frame's own pipeline time is included",
    }


if __name__ == "__main__":
    main()
