"""The whole path on synthetic clips whose objects' positions are known at every frame: the
pipeline, the tracker and the rules fire events at the right frames, store blurred media."""

from datetime import UTC, datetime

import cv2
import numpy as np
import pytest

from suite.ai import gateway
from video_analytics import services, storage
from video_analytics.analysis import CameraAnalyser
from video_analytics.models import Event, RuleKind

from .synthetic import H, W, box_at, crowd_frames, moving_block_frames

pytestmark = pytest.mark.django_db

ENTERING = {"x0": -400, "speed": 20}  # off-screen while MOG2 learns the background


def first_frame(predicate, frames: int, step: int = 1) -> int:
    return next(i for i in range(0, frames, step) if predicate(i))


def analyser_for(camera, tenant, stages=("motion", "tampering")):
    # people detection (HOG) is not needed for blocks; faces always run
    services.camera_update(camera=camera, stages=list(stages))
    return CameraAnalyser(camera=camera, caller=gateway.Caller(tenant=tenant), sample_fps=10)


def feed(analyser, frames, step=1, fps=10.0):
    for i in range(0, len(frames), step):
        analyser.feed(i, i / fps, frames[i], at=datetime(2026, 5, 4, 10, 0, tzinfo=UTC))
    return analyser.finish()


def test_intrusion_fires_when_the_block_enters_the_zone(camera_a, tenant_a):
    right_half = services.zone_save(
        camera=camera_a, name="禁区", points=[[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
    )
    services.rule_save(
        camera=camera_a,
        name="闯入",
        kind=RuleKind.INTRUSION,
        zone=right_half,
        severity="high",
        params={"target": "any"},
    )
    frames = moving_block_frames(60, **ENTERING)
    analyser = analyser_for(camera_a, tenant_a)
    outcome = feed(analyser, frames)

    def inside(i):
        x, _y, w, _h = box_at(i, **ENTERING)
        return (x + w / 2) / W >= 0.5

    expected = first_frame(inside, 60)
    assert len(outcome.events) == 1
    event = Event.objects.for_tenant(tenant_a).get()
    assert abs(event.frame_index - expected) <= 1, (event.frame_index, expected)
    assert event.kind == "intrusion" and event.severity == "high" and event.zone == right_half
    assert event.snapshot and storage.absolute(event.snapshot).exists()
    assert event.clip and storage.absolute(event.clip).stat().st_size > 1000
    clip = cv2.VideoCapture(str(storage.absolute(event.clip)))
    assert clip.read()[0]
    assert event.track and all(0 <= v <= 1 for point in event.track for v in point[1:])
    camera_a.refresh_from_db()
    assert camera_a.snapshot and (camera_a.frame_width, camera_a.frame_height) == (W, H)
    assert "motion" in analyser.pipeline.timing_report()


@pytest.mark.parametrize(
    ("direction", "fires"), [("forward", False), ("backward", True), ("any", True)]
)
def test_line_crossing_respects_direction(camera_a, tenant_a, direction, fires):
    # a vertical line top->bottom at x=0.5: moving left to right crosses from its right
    # side (y down) to its left side, which is "backward"
    line = services.zone_save(
        camera=camera_a, name="警戒线", kind="line", points=[[0.5, 0.1], [0.5, 0.95]]
    )
    services.rule_save(
        camera=camera_a,
        name="越线",
        kind=RuleKind.LINE_CROSSING,
        zone=line,
        params={"target": "any", "direction": direction},
    )
    frames = moving_block_frames(60, **ENTERING)
    analyser = analyser_for(camera_a, tenant_a)
    outcome = feed(analyser, frames)
    assert len(outcome.events) == (1 if fires else 0)
    if fires:

        def crossed(i):
            x, _y, w, _h = box_at(i, **ENTERING)
            return (x + w / 2) / W > 0.5

        assert abs(outcome.events[0].frame_index - first_frame(crossed, 60)) <= 1


def test_loitering_needs_the_dwell_time(camera_a, tenant_a):
    zone = services.zone_save(camera=camera_a, name="大厅", points=[[0, 0], [1, 0], [1, 1], [0, 1]])
    services.rule_save(
        camera=camera_a,
        name="徘徊",
        kind=RuleKind.LOITERING,
        zone=zone,
        params={"target": "any", "dwell_s": 2},
    )
    frames = moving_block_frames(70, **{"x0": -400, "speed": 8})
    analyser = analyser_for(camera_a, tenant_a)
    outcome = feed(analyser, frames)
    assert len(outcome.events) == 1
    event = outcome.events[0]
    first_seen = event.track[0][0]
    assert event.video_time_s - first_seen == pytest.approx(2.0, abs=0.11)


def test_tampering_blackout_fires_after_it_persists(camera_a, tenant_a):
    services.rule_save(camera=camera_a, name="遮挡", kind=RuleKind.TAMPERING, severity="critical")
    frames = moving_block_frames(30, **ENTERING)
    black = np.zeros((H, W, 3), np.uint8)
    frames += [black] * 10
    analyser = analyser_for(camera_a, tenant_a)
    outcome = feed(analyser, frames)
    assert len(outcome.events) == 1
    # the third black frame in a row: a single dark frame is not enough
    assert outcome.events[0].frame_index == 32
    assert "blacked out" in outcome.events[0].description


def test_people_are_counted_and_crowding_fires_over_the_threshold(camera_a, tenant_a):
    from video_analytics.models import CountSample

    services.rule_save(
        camera=camera_a,
        name="聚集",
        kind=RuleKind.CROWDING,
        severity="medium",
        params={"threshold": 3, "target": "person"},
    )
    services.rule_save(
        camera=camera_a, name="四人以上", kind=RuleKind.CROWDING, params={"threshold": 4}
    )
    analyser = analyser_for(camera_a, tenant_a, stages=("motion", "people"))
    outcome = feed(analyser, crowd_frames(12, people=3))
    kinds = [(e.rule.name, e.kind) for e in outcome.events]
    assert kinds == [("聚集", "crowding")]  # once (cooldown), and never the threshold of four
    assert "3 people" in outcome.events[0].description
    peak = CountSample.objects.for_tenant(tenant_a).get(camera=camera_a, zone=None)
    assert peak.people == 3
    assert analyser.pipeline.engines()["people"] == "opencv-hog"


def test_a_camera_can_use_another_detect_model_of_its_tenant(camera_a, tenant_a):
    from suite.ai.config_cache import invalidate
    from suite.ai.models import AiModel, UsageRecord
    from suite.errors import InvalidInput

    AiModel.objects.create(
        tenant=tenant_a,
        name="corridor-hog",
        capability="detect",
        engine="opencv-hog",
        options={"scale": 1.1},
    )
    with pytest.raises(InvalidInput, match="No detect model named"):
        services.camera_update(camera=camera_a, people_model="yolo-not-configured")
    with pytest.raises(InvalidInput):  # the face detector cannot count people
        services.camera_update(camera=camera_a, people_model="blazeface")
    services.camera_update(camera=camera_a, people_model="corridor-hog")
    # the tenant's own detect models replace the defaults: without a face detector among them
    # nothing may be stored, and analysis says so
    with pytest.raises(InvalidInput, match="No face detector"):
        analyser_for(camera_a, tenant_a, stages=("motion", "people"))
    AiModel.objects.create(
        tenant=tenant_a, name="faces", capability="detect", engine="mediapipe-face"
    )
    invalidate()
    analyser = analyser_for(camera_a, tenant_a, stages=("motion", "people"))
    feed(analyser, crowd_frames(6, people=2))
    models_used = set(
        UsageRecord.objects.filter(tenant=tenant_a, capability="detect").values_list(
            "model", flat=True
        )
    )
    assert "corridor-hog" in models_used and "hog-people" not in models_used
