"""Zones, lines, schedules and the tracker on their own, with hand-checkable numbers."""

from datetime import datetime

import pytest

from suite.errors import InvalidInput
from video_analytics.geometry import Area, Line, validate_points
from video_analytics.rules import in_schedule
from video_analytics.tracking import Tracker, iou


def test_points_must_lie_in_the_frame_and_form_a_simple_shape():
    assert validate_points([[0, 0], [1, 0], [0.5, 1]], kind="area") == [[0, 0], [1, 0], [0.5, 1]]
    for points, kind, message in [
        ([[0, 0], [1.01, 0], [0, 1]], "area", "outside the frame"),
        ([[0, 0], [-0.1, 0], [0, 1]], "area", "outside the frame"),
        ([[0, 0], [1, 1], [1, 0], [0, 1]], "area", "cross"),
        ([[0, 0], [1, 0]], "area", "at least three"),
        ([[0.2, 0.2], [0.2, 0.2]], "line", "two different"),
        ([[0, 0], [1, 0], [0, 1]], "line", "exactly two"),
        ([[0, "a"], [1, 0], [0, 1]], "area", "pair of numbers"),
        ([[0, 0], [0.001, 0], [0, 0.001]], "area", "too small"),
        ("not a list", "area", "list"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            validate_points(points, kind=kind)


def test_area_contains_points_on_and_inside_its_edge():
    area = Area([[0.5, 0], [1, 0], [1, 1], [0.5, 1]])
    assert area.contains((0.75, 0.5)) and area.contains((0.5, 0.5))
    assert not area.contains((0.49, 0.5))


def test_line_crossing_direction_and_segment_extent():
    # directed top -> bottom at x = 0.5; y grows downwards, so the right of the direction of
    # travel is the smaller x
    line = Line([[0.5, 0.2], [0.5, 0.8]])
    assert line.side((0.4, 0.5)) == 1 and line.side((0.6, 0.5)) == -1
    assert line.crossing((0.4, 0.5), (0.6, 0.5)) == -1
    assert line.crossing((0.6, 0.5), (0.4, 0.5)) == 1
    assert line.crossing((0.4, 0.5), (0.45, 0.5)) == 0  # did not reach it
    assert line.crossing((0.4, 0.9), (0.6, 0.9)) == 0  # passed below the segment's end


def test_schedules_including_overnight_windows():
    monday_23 = datetime(2026, 5, 4, 23, 0)
    tuesday_03 = datetime(2026, 5, 5, 3, 0)
    tuesday_12 = datetime(2026, 5, 5, 12, 0)
    night = {"days": [0], "start": "22:00", "end": "06:00"}
    assert in_schedule(night, monday_23)
    assert in_schedule(night, tuesday_03)  # still Monday's night
    assert not in_schedule(night, tuesday_12)
    assert not in_schedule(night, datetime(2026, 5, 6, 3, 0))  # Tuesday's night: not listed
    office = {"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}
    assert in_schedule(office, tuesday_12) and not in_schedule(office, monday_23)
    assert in_schedule({}, monday_23)


def test_tracker_keeps_identity_while_objects_move_and_drops_lost_ones():
    tracker = Tracker(label="person", max_missed=2)
    a, b = (10, 10, 50, 100), (400, 10, 50, 100)
    first = {t.id: t.box for t in tracker.update([a, b], 0.0, 640, 480)}
    moved = tracker.update([(420, 12, 50, 100), (25, 10, 50, 100)], 0.2, 640, 480)
    assert {t.id: t.box[0] for t in moved} == {min(first): 25, max(first): 420}
    for step in range(3):
        tracker.update([(25, 10, 50, 100)], 0.4 + step * 0.2, 640, 480)
    assert sorted(tracker.tracks) == [min(first)]
    assert tracker.tracks[min(first)].hits == 5
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(1 / 3)
