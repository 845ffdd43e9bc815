"""Zone geometry in normalised frame coordinates (0..1, origin top left, y down)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _
from shapely.geometry import LineString, Point, Polygon

from suite.errors import InvalidInput

Pt = tuple[float, float]
MAX_POINTS = 64


def validate_points(points: object, *, kind: str) -> list[list[float]]:
    """Checked and rounded points; a 400 with a reason for anything unusable."""
    if not isinstance(points, list | tuple) or not points:
        raise InvalidInput(_("A zone needs a list of [x, y] points."), param="points")
    cleaned: list[list[float]] = []
    for point in points:
        if (
            not isinstance(point, list | tuple)
            or len(point) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
        ):
            raise InvalidInput(_("Each point must be a pair of numbers [x, y]."), param="points")
        x, y = float(point[0]), float(point[1])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise InvalidInput(
                _(
                    "Point (%(x)s, %(y)s) lies outside the frame: coordinates are fractions of "
                    "the frame's width and height, from 0 to 1."
                )
                % {"x": round(x, 3), "y": round(y, 3)},
                param="points",
            )
        cleaned.append([round(x, 4), round(y, 4)])
    if len(cleaned) > MAX_POINTS:
        raise InvalidInput(
            _("A zone has at most %(n)s points.") % {"n": MAX_POINTS}, param="points"
        )
    if kind == "line":
        if len(cleaned) != 2 or cleaned[0] == cleaned[1]:
            raise InvalidInput(_("A line needs exactly two different points."), param="points")
        return cleaned
    if len(cleaned) < 3:
        raise InvalidInput(_("An area needs at least three points."), param="points")
    polygon = Polygon(cleaned)
    if not polygon.is_valid:
        raise InvalidInput(
            _("The area's edges cross each other; draw its outline without crossings."),
            param="points",
        )
    if polygon.area < 1e-4:
        raise InvalidInput(_("The area is too small to hold anything."), param="points")
    return cleaned


class Area:
    def __init__(self, points: Sequence[Sequence[float]]):
        self.polygon = Polygon(points)

    def contains(self, point: Pt) -> bool:
        return self.polygon.intersects(Point(point))


class Line:
    """A directed segment a -> b. `side` is +1 on the right of a->b (y down), -1 on its left."""

    def __init__(self, points: Sequence[Sequence[float]]):
        (ax, ay), (bx, by) = points[0], points[1]
        self.a, self.b = (ax, ay), (bx, by)
        self.segment = LineString([self.a, self.b])

    def side(self, point: Pt) -> int:
        (ax, ay), (bx, by) = self.a, self.b
        cross = (bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax)
        return 1 if cross > 0 else -1 if cross < 0 else 0

    def crossing(self, before: Pt, after: Pt) -> int:
        """+1 crossing from left to right of a->b, -1 from right to left, 0 no crossing."""
        s0, s1 = self.side(before), self.side(after)
        if s0 == 0 or s1 == 0 or s0 == s1:
            return 0
        if not LineString([before, after]).intersects(self.segment):
            return 0  # passed beside the segment, not across it
        return 1 if s0 < s1 else -1
