"""Faces blurred in everything stored; stream credentials encrypted and never shown back."""

from datetime import UTC, datetime

import cv2
import numpy as np
import pytest
from django.urls import reverse

from suite.ai import gateway
from suite.ai.backends.base import BackendSpec
from suite.ai.backends.vision_mediapipe import MediapipeFaceBackend
from video_analytics import crypto, services, storage
from video_analytics.analysis import CameraAnalyser
from video_analytics.models import Event, RuleKind

from .synthetic import face_frames

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def blazeface():
    # both models: short range finds large, close faces, full range the smaller CCTV ones
    backends = [
        MediapipeFaceBackend(BackendSpec("mediapipe-face", options={"model": m})) for m in (0, 1)
    ]
    for b in backends:
        b.load()
    return lambda image: [d for b in backends for d in b.detect(image, min_score=0.3)]


def sharpness(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_faces_are_blurred_in_snapshots_and_clips(camera_a, tenant_a, blazeface):
    services.camera_update(camera=camera_a, stages=["motion"])
    zone = services.zone_save(
        camera=camera_a, name="全画面", points=[[0, 0], [1, 0], [1, 1], [0, 1]]
    )
    services.rule_save(
        camera=camera_a, name="有人", kind=RuleKind.INTRUSION, zone=zone, params={"target": "any"}
    )
    frames = face_frames(40)
    assert blazeface(frames[0]), "the portrait must be a findable face to begin with"
    analyser = CameraAnalyser(
        camera=camera_a, caller=gateway.Caller(tenant=tenant_a), sample_fps=10
    )
    for i, frame in enumerate(frames):
        analyser.feed(i, i / 10, frame, at=datetime(2026, 5, 4, 9, tzinfo=UTC))
    analyser.finish()
    event = Event.objects.for_tenant(tenant_a).order_by("frame_index").first()
    camera_a.refresh_from_db()

    snapshot = cv2.imread(str(storage.absolute(event.snapshot)))
    camera_snapshot = cv2.imread(str(storage.absolute(camera_a.snapshot)))
    for stored, original in ((snapshot, frames[event.frame_index]), (camera_snapshot, frames[0])):
        assert blazeface(stored) == []
        face = blazeface(original)[0].box
        x, y, w, h = face
        before, after = original[y : y + h, x : x + w], stored[y : y + h, x : x + w]
        assert sharpness(after) < 0.2 * sharpness(before)
        # the rest of the frame is kept: only the face region was touched
        assert np.abs(stored[:60].astype(int) - original[:60].astype(int)).mean() < 6

    clip = cv2.VideoCapture(str(storage.absolute(event.clip)))
    decoded = 0
    while True:
        ok, frame = clip.read()
        if not ok:
            break
        decoded += 1
        assert blazeface(frame) == [], f"a face survived in clip frame {decoded}"
    assert decoded >= 20  # 2 s before and 2 s after at 10 fps


def test_stream_credentials_are_encrypted_and_never_returned(api_client_a, tenant_a, settings):
    url = "rtsp://admin:Pa55-word@10.1.2.3:554/ch1"
    response = api_client_a.post(
        reverse("api:va-camera-list"),
        {"name": "机房", "source_kind": "rtsp", "stream_url": url},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.content.decode()
    assert "Pa55-word" not in body and "admin" not in body
    assert response.json()["stream_display"] == "rtsp://10.1.2.3:554/ch1"
    camera = services.camera_stream_url
    from video_analytics.models import Camera

    row = Camera.objects.for_tenant(tenant_a).get(name="机房")
    assert "Pa55-word" not in row.stream_secret and row.has_credentials
    assert camera(row) == url
    listing = api_client_a.get(reverse("api:va-camera-list")).content.decode()
    assert "Pa55-word" not in listing
    # a rotated SECRET_KEY cannot read old secrets: the camera asks for the URL again
    settings.SECRET_KEY = "another-key-entirely-another-key-entirely"
    assert crypto.decrypt(row.stream_secret) is None
    with pytest.raises(Exception, match="enter the URL again"):
        services.camera_stream_url(row)


def test_a_dedicated_key_setting_is_used_when_set(settings):
    from cryptography.fernet import Fernet

    settings.VIDEO_ANALYTICS_SECRET_KEY = Fernet.generate_key().decode()
    token = crypto.encrypt("rtsp://u:p@h/s")
    assert Fernet(settings.VIDEO_ANALYTICS_SECRET_KEY).decrypt(token.encode()) == b"rtsp://u:p@h/s"
