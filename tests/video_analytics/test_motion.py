"""Motion and frame health: what the camera pipeline looks at before any model runs."""

from __future__ import annotations

import cv2
import numpy as np

from tests.ai.test_vision import iou, textured
from video_analytics.motion import MotionDetector, frame_stats


def test_motion_is_quiet_on_a_static_scene_and_boxes_the_moving_object():
    background = textured(720, 1280)
    rng = np.random.default_rng(1)
    detector = MotionDetector(width=320, min_area=400)

    def noisy(frame):  # sensor noise must not count as motion
        return np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)

    static = [detector.update(noisy(background)) for _ in range(25)]
    assert max(r.ratio for r in static[5:]) < 0.002
    assert not any(r.boxes for r in static[5:])

    w, h = 120, 160
    for step in range(8):
        x, y = 200 + step * 60, 300
        frame = noisy(background)
        cv2.rectangle(frame, (x, y), (x + w - 1, y + h - 1), (250, 250, 250), -1)
        result = detector.update(frame)
        truth = (x, y, w, h)
        assert result.moving
        assert 0.01 < result.ratio < 0.05  # 120x160 of 1280x720 is 2.1 %
        assert iou(result.boxes[0], truth) > 0.7, (result.boxes, truth)

    # the object leaves; once the scene is back to the learned background, motion stops
    after = [detector.update(noisy(background)) for _ in range(3)]
    assert after[-1].ratio < 0.002


def test_motion_ignores_objects_smaller_than_min_area():
    background = textured(480, 640)
    detector = MotionDetector(width=320, min_area=2000)
    for _ in range(5):
        detector.update(background)
    frame = background.copy()
    cv2.rectangle(frame, (100, 100), (129, 129), (255, 255, 255), -1)  # 900 px < 2000
    result = detector.update(frame)
    assert result.ratio > 0
    assert result.boxes == []


def test_frame_stats_flag_black_and_defocused_frames():
    sharp = textured(480, 640)
    cv2.putText(sharp, "CAM 07", (50, 240), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 6)
    defocused = cv2.GaussianBlur(sharp, (0, 0), 6)
    black = np.zeros_like(sharp)

    s, d, b = frame_stats(sharp), frame_stats(defocused), frame_stats(black)
    assert b.mean_luma < 1 and b.std_luma < 1 and b.sharpness < 1
    assert s.mean_luma > 50
    assert d.sharpness * 20 < s.sharpness
    assert abs(d.mean_luma - s.mean_luma) < 5  # defocus changes detail, not brightness
