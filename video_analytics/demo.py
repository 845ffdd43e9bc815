"""Demo data for `manage.py seed_demo`: cameras around Shenzhen for gd-sz, zones and rules, and
one analysed synthetic clip so the pages have events, snapshots and statistics. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone, translation

from suite.ai import gateway
from suite.tenancy.models import Tenant

from . import services
from .models import Camera, CameraStatus, RuleKind, SourceKind

CAMERAS = [
    # name, lat, lon, location, group, tags, source, url
    (
        "福田营业厅大堂",
        22.5410,
        114.0579,
        "福田区深南大道 6008 号",
        "营业厅",
        ["营业厅", "室内"],
        SourceKind.UPLOAD,
        "",
    ),
    (
        "南山科技园东门",
        22.5405,
        113.9530,
        "南山区科技园科苑路",
        "园区",
        ["出入口"],
        SourceKind.RTSP,
        "rtsp://admin:Demo-2026@10.20.1.11:554/Streaming/Channels/101",
    ),
    (
        "深圳湾地铁站 B 口",
        22.5232,
        113.9447,
        "南山区深圳湾地铁站",
        "交通枢纽",
        ["客流"],
        SourceKind.HTTP,
        "http://10.20.3.7:8080/video.mjpg",
    ),
    (
        "前海仓库周界",
        22.5283,
        113.8990,
        "前海合作区仓储区",
        "园区",
        ["周界", "夜间"],
        SourceKind.RTSP,
        "rtsp://viewer:Demo-2026@10.20.5.2/live",
    ),
]


def seed_demo() -> None:
    # descriptions are stored as written: write them in the portal's default language
    with translation.override(settings.LANGUAGE_CODE):
        _seed()


def _seed() -> None:
    tenant = Tenant.objects.filter(slug="gd-sz").first()
    if tenant is None or Camera.objects.for_tenant(tenant).exists():
        return
    cameras = {}
    for name, lat, lon, location, group, tags, kind, url in CAMERAS:
        cameras[name] = services.camera_create(
            tenant=tenant,
            name=name,
            latitude=lat,
            longitude=lon,
            location=location,
            group=group,
            tags=tags,
            source_kind=kind,
            stream_url=url,
            stages=["motion", "ocr", "tampering", "scene"] if kind == SourceKind.UPLOAD else None,
        )
        if url:
            services.camera_set_health(
                camera=cameras[name],
                status=CameraStatus.OFFLINE,
                detail="演示摄像头：没有接入真实视频流",
            )
    hall = cameras["福田营业厅大堂"]
    counter = services.zone_save(
        camera=hall, name="柜台内侧", points=[[0.55, 0.45], [1.0, 0.45], [1.0, 1.0], [0.55, 1.0]]
    )
    gate = services.zone_save(
        camera=hall, name="入口闸机线", kind="line", points=[[0.3, 0.4], [0.3, 0.98]]
    )
    services.rule_save(
        camera=hall,
        name="非工作人员进入柜台",
        kind=RuleKind.INTRUSION,
        zone=counter,
        severity="high",
        params={"target": "any"},
    )
    services.rule_save(
        camera=hall,
        name="进店客流",
        kind=RuleKind.LINE_CROSSING,
        zone=gate,
        severity="info",
        params={"target": "any", "direction": "any"},
    )
    services.rule_save(camera=hall, name="镜头遮挡", kind=RuleKind.TAMPERING, severity="critical")
    services.retention_set(tenant=tenant, event_days=90, media_days=30)
    _analyse_demo_clip(hall)


def _analyse_demo_clip(camera: Camera) -> None:
    from .analysis import CameraAnalyser
    from .scenes import street_frames

    started = timezone.now() - timedelta(hours=2)
    analyser = CameraAnalyser(
        camera=camera, caller=gateway.Caller(tenant=camera.tenant), started_at=started, sample_fps=5
    )
    for i, frame in enumerate(street_frames(60, text="福田营业厅 1号门")):
        analyser.feed(i, i / 5, frame)
    analyser.finish()
