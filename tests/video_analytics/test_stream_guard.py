"""Camera stream URLs cannot reach the server's files or the operator's own addresses: refused
when saved (API, portal form, service) and again right before each connection, after DNS."""

import os
import socket
import subprocess
import sys
import threading

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from suite.ai import gateway
from suite.errors import InvalidInput
from video_analytics import services
from video_analytics.analysis import stream_watch
from video_analytics.ingest import Backoff
from video_analytics.models import Camera, CameraStatus, SourceKind

from .synthetic import moving_block_frames, write_clip

pytestmark = pytest.mark.django_db

METADATA = "http://169.254.169.254/latest/meta-data/"
REFUSED_NETWORK = [
    METADATA,
    "http://127.0.0.1:8000/healthz",
    "rtsp://127.0.0.1:6379/",
    "rtsp://localhost/live",
    "rtsp://2130706433/live",  # 127.0.0.1 as one decimal number
    "rtsp://0x7f000001/live",  # ... in hex
    "rtsp://0177.0.0.1/live",  # ... in octal
    "rtsp://127.1/live",
    "rtsp://0.0.0.0:554/live",
    "rtsp://[::]/live",
    "rtsp://[::1]:554/live",
    "rtsp://[::ffff:127.0.0.1]/live",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",  # 169.254.169.254, mapped and in hex
    "rtsp://[fe80::1]/live",
    "http://[fd00:ec2::254]/latest/meta-data/",  # AWS metadata over IPv6
    "http://100.100.100.200/latest/meta-data/",  # Alibaba Cloud metadata
    "rtsp://10.0.0.5:pw@127.0.0.1/live",  # the host is what follows the last @
]


@pytest.fixture
def roots(stream_root):
    return stream_root


@pytest.fixture
def rendered_ringtone(settings, tenant_b):
    """Another tenant's rendered video, where video_ringtone keeps it (a real, readable clip)."""
    folder = settings.MEDIA_ROOT / "video_ringtone" / f"t{tenant_b.pk}" / "renders"
    folder.mkdir(parents=True)
    return write_clip(folder / "ringtone.mp4", moving_block_frames(20))


def test_the_defaults_allow_no_files_in_production_and_only_var_streams_in_development():
    # read from suite/settings/base.py: development (what tests run) allows var/streams only
    roots, hosts = (
        django_settings.VIDEO_ANALYTICS_FILE_ROOTS,
        django_settings.VIDEO_ANALYTICS_STREAM_HOSTS,
    )
    assert roots == [str(django_settings.VAR_DIR / "streams")] and hosts == []
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 60,
        "DATABASE_URL": "postgres://x@127.0.0.1/x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    env.pop("VIDEO_ANALYTICS_FILE_ROOTS", None)
    production = subprocess.run(
        [sys.executable, "-c", "import suite.settings as s; print(s.VIDEO_ANALYTICS_FILE_ROOTS)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert production.stdout.strip() == "[]"


@pytest.mark.parametrize("url", REFUSED_NETWORK)
def test_api_refuses_internal_network_sources(api_client_a, roots, url):
    kind = "http" if url.startswith("http") else "rtsp"
    response = api_client_a.post(
        reverse("api:va-camera-list"),
        {"name": "内网", "source_kind": kind, "stream_url": url},
        format="json",
    )
    assert response.status_code == 400, (url, response.content)
    body = response.json()
    assert "not allowed" in str(body) and "operator" in str(body)
    assert not Camera.objects.filter(name="内网").exists()


def test_api_refuses_files_outside_the_allowed_roots(
    api_client_a, roots, rendered_ringtone, tmp_path
):
    for url in (
        "file:///etc/passwd",
        f"file://{rendered_ringtone}",
        f"file://{roots}/../media/video_ringtone/x.mp4",  # .. out of the root
        f"file://localhost{rendered_ringtone}",
        "file://http://169.254.169.254/",  # no smuggled protocol behind file://
    ):
        response = api_client_a.post(
            reverse("api:va-camera-list"),
            {"name": "文件", "source_kind": "file", "stream_url": url},
            format="json",
        )
        assert response.status_code == 400, (url, response.content)
    # a symbolic link inside the root that leads out of it is judged by where it leads
    (roots / "link.mp4").symlink_to(rendered_ringtone)
    response = api_client_a.post(
        reverse("api:va-camera-list"),
        {"name": "文件", "source_kind": "file", "stream_url": f"file://{roots}/link.mp4"},
        format="json",
    )
    assert response.status_code == 400
    assert not Camera.objects.filter(name="文件").exists()


def test_private_networks_allowed_files_and_operator_listed_hosts_are_accepted(
    api_client_a, roots, settings
):
    clip = write_clip(roots / "lobby.mp4", moving_block_frames(5))
    accepted = [
        ("rtsp", "rtsp://admin:pw@10.20.1.11:554/Streaming/Channels/101"),
        ("http", "http://192.168.1.20:8080/video.mjpg"),
        ("rtsp", "rtsp://[fd12:3456::10]/live"),
        ("rtsp", "rtsp://cam-7.example.net/live"),  # a name: checked again when connecting
        ("file", f"file://{clip}"),
    ]
    for i, (kind, url) in enumerate(accepted):
        response = api_client_a.post(
            reverse("api:va-camera-list"),
            {"name": f"ok{i}", "source_kind": kind, "stream_url": url},
            format="json",
        )
        assert response.status_code == 201, (url, response.content)
    # a local restreamer (go2rtc) the operator allows, by address or by network
    for i, allowed in enumerate((["127.0.0.1"], ["127.0.0.0/8"], ["::1/128", "127.0.0.1/32"])):
        settings.VIDEO_ANALYTICS_STREAM_HOSTS = allowed
        response = api_client_a.post(
            reverse("api:va-camera-list"),
            {"name": f"go2rtc{i}", "source_kind": "rtsp", "stream_url": "rtsp://127.0.0.1:8554/x"},
            format="json",
        )
        assert response.status_code == 201, (allowed, response.content)


def test_an_update_is_checked_too(api_client_a, roots, tenant_a):
    camera = services.camera_create(
        tenant=tenant_a, name="东门", source_kind="rtsp", stream_url="rtsp://10.0.0.5/live"
    )
    response = api_client_a.patch(
        reverse("api:va-camera-detail", args=[camera.pk]),
        {"stream_url": METADATA, "source_kind": "http"},
        format="json",
    )
    assert response.status_code == 400
    camera.refresh_from_db()
    assert services.camera_stream_url(camera) == "rtsp://10.0.0.5/live"


def test_the_portal_form_refuses_them_with_the_reason(analyst, roots, rendered_ringtone):
    for kind, url in (("http", METADATA), ("file", f"file://{rendered_ringtone}")):
        response = analyst.post(
            reverse("video_analytics:camera_create"),
            {"name": "表单", "source_kind": kind, "stream_url": url, "sample_fps": "5"},
        )
        assert response.status_code == 200  # the form again, with the error
        page = response.content.decode()
        assert "not allowed" in page or "only be read from the folders" in page
    assert not Camera.objects.filter(name="表单").exists()


def test_the_service_refuses_them_for_any_caller(tenant_a, roots):
    with pytest.raises(InvalidInput, match="not allowed") as caught:
        services.camera_create(
            tenant=tenant_a, name="导入", source_kind="rtsp", stream_url="rtsp://127.0.0.1:6379/"
        )
    assert caught.value.param == "stream_url"


def _stored_before_the_fix(tenant, name: str, kind: str, url: str) -> Camera:
    """A camera saved with no check at all, as rows written before this guard existed."""
    camera = Camera(tenant=tenant, name=name, source_kind=kind, stages=["motion"])
    services._set_stream(camera, url)
    camera.save()
    return camera


def _watch(camera: Camera) -> dict:
    return stream_watch(
        camera=camera,
        caller=gateway.Caller(tenant=camera.tenant),
        max_seconds=5,
        backoff=Backoff(base_s=0, max_failures=1),
        sleep=lambda s: None,
    )


def test_a_stored_file_url_outside_the_roots_is_never_read(tenant_a, roots, rendered_ringtone):
    camera = _stored_before_the_fix(
        tenant_a, "旧文件", SourceKind.FILE, f"file://{rendered_ringtone}"
    )
    result = _watch(camera)
    camera.refresh_from_db()
    assert result["frames"] == 0
    assert not camera.snapshot  # no frame of the other tenant's video became its snapshot
    assert camera.status == CameraStatus.OFFLINE and "folders the operator allows" in camera.health


def test_a_stored_internal_address_is_never_connected_to(tenant_a, roots, settings):
    settings.VIDEO_ANALYTICS_STREAM_TIMEOUT_S = 1
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted: list = []

    def accept_for(seconds: float) -> None:
        import time

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=accept_for, args=(3,))
    thread.start()
    try:
        camera = _stored_before_the_fix(
            tenant_a, "旧地址", SourceKind.HTTP, f"http://127.0.0.1:{port}/video.mjpg"
        )
        result = _watch(camera)
    finally:
        thread.join()
        listener.close()
    camera.refresh_from_db()
    assert accepted == [] and result["frames"] == 0
    assert camera.status == CameraStatus.OFFLINE and "loopback" in camera.health


def test_a_name_is_checked_after_resolution_at_connect_time(tenant_a, roots, monkeypatch):
    camera = services.camera_create(
        tenant=tenant_a, name="改名", source_kind="rtsp", stream_url="rtsp://cam.example.net/live"
    )
    # the name now resolves to the metadata service (DNS rebinding, or a changed record)
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "cam.example.net":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    result = _watch(camera)
    camera.refresh_from_db()
    assert result["frames"] == 0
    assert "metadata" in camera.health and "169.254.169.254" in camera.health


def test_watch_now_refuses_a_stored_bad_url_with_the_reason(analyst, tenant_a, roots):
    camera = _stored_before_the_fix(tenant_a, "旧地址", SourceKind.RTSP, "rtsp://127.0.0.1:6379/")
    response = analyst.post(reverse("video_analytics:camera_watch", args=[camera.pk]), follow=True)
    assert "loopback" in response.content.decode()


def test_an_allowed_file_still_streams(tenant_a, roots):
    clip = write_clip(roots / "live.mp4", moving_block_frames(20))
    camera = services.camera_create(
        tenant=tenant_a,
        name="允许",
        source_kind="file",
        stream_url=f"file://{clip}",
        stages=["motion"],
    )
    result = _watch(camera)
    camera.refresh_from_db()
    assert result["frames"] > 0 and camera.status == CameraStatus.ONLINE
