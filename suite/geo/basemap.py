"""A base map drawn on the server: the city's district outlines (shipped as GeoJSON under
`suite/geo/data/`) projected into an SVG viewBox, with a product's markers on top.

A product passes plain `Marker`s (and, for a choropleth, a value per district name); this
module knows nothing about cameras or work orders. `templates/portal/_basemap.html` draws the
result. Nothing here reaches the network.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
WIDTH = 720
MIN_HEIGHT, MAX_HEIGHT = 320, 600
PAD = 28
FONT = 13  # district label size, in viewBox units
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in viewBox units
MIN_FONT = 10
MARKER_FONT = 12
# Light to dark: choropleth classes (the lightest is "none").
SHADES = ("#eef2f7", "#cfe0f5", "#9fc2ea", "#5f9bdb", "#2f6fc0", "#17498a")
OUTLINE_FILL = "#f4f6f9"

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class District:
    name: str
    polygons: tuple[tuple[Ring, ...], ...]  # each polygon: outer ring, then holes
    label_at: tuple[float, float]  # lon, lat

    def contains(self, lon: float, lat: float) -> bool:
        return any(_in_polygon(lon, lat, polygon) for polygon in self.polygons)

    def bbox(self) -> tuple[float, float, float, float]:
        points = [p for polygon in self.polygons for p in polygon[0]]
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        return min(lons), min(lats), max(lons), max(lats)


@dataclass(frozen=True)
class City:
    slug: str
    name: str  # as people write it: 深圳, 广州, 成都
    districts: tuple[District, ...]

    def district_at(self, lon: float, lat: float) -> District | None:
        return next((d for d in self.districts if d.contains(lon, lat)), None)

    def bbox(self) -> tuple[float, float, float, float]:
        boxes = [d.bbox() for d in self.districts]
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )


@dataclass(frozen=True)
class Marker:
    lon: float
    lat: float
    title: str  # the accessible name: what a screen reader and the tooltip say
    url: str = ""
    label: str = ""  # drawn beside the marker
    color: str = "#1f6fd1"
    radius: float = 7.0
    css: str = ""
    image: str = ""  # a small picture under the marker (a camera's snapshot)
    data_id: str = ""


@dataclass
class DrawnDistrict:
    name: str
    d: str
    fill: str
    title: str
    label_x: float
    label_y: float
    bbox: Box  # of the drawn path
    labelled: bool = True  # False: its label point lies outside a focused view
    font_size: int = 13


@dataclass
class DrawnMarker:
    marker: Marker
    x: float
    y: float
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "start"

    hit: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # x, y, w, h: all of it

    @property
    def image_x(self) -> float:
        return round(self.x - 24, 1)

    @property
    def image_y(self) -> float:
        return round(self.y + self.marker.radius + 3, 1)


@dataclass
class BaseMap:
    map_id: str
    title: str
    desc: str
    width: int
    height: int
    city: City | None
    districts: list[DrawnDistrict] = field(default_factory=list)
    markers: list[DrawnMarker] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, what it means)
    legend_scale: bool = False  # a light-to-dark scale rather than categories
    values: dict[str, float] = field(default_factory=dict)  # a choropleth's, by district

    @property
    def ranked(self) -> list[tuple[str, float]]:
        """The districts with a value, largest first: the same numbers as a table."""
        return sorted(((k, v) for k, v in self.values.items() if v), key=lambda kv: -kv[1])

    @property
    def extent_only(self) -> bool:
        return self.city is None


# --- Data ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def cities() -> dict[str, City]:
    found = {}
    for path in sorted(DATA.glob("*.geojson")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        districts = []
        for feature in raw["features"]:
            geometry = feature["geometry"]
            polygons = (
                [geometry["coordinates"]]
                if geometry["type"] == "Polygon"
                else geometry["coordinates"]
            )
            districts.append(
                District(
                    name=feature["properties"]["name"],
                    polygons=tuple(
                        tuple([(p[0], p[1]) for p in ring] for ring in polygon)
                        for polygon in polygons
                    ),
                    label_at=tuple(feature["properties"]["cp"]),
                )
            )
        found[path.stem] = City(slug=path.stem, name=raw["name"], districts=tuple(districts))
    return found


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _in_polygon(lon: float, lat: float, polygon: Sequence[Ring]) -> bool:
    return _in_ring(lon, lat, polygon[0]) and not any(_in_ring(lon, lat, h) for h in polygon[1:])


# A city is drawn beside the main one when it holds at least this share of the evidence (markers
# or district names): a provincial centre's orders from two cities get both, a stray one none.
SHARE_TO_DRAW = 0.2


def pick_city(
    *,
    markers: Sequence[Marker] = (),
    places: Iterable[str] = (),
    district_names: Iterable[str] = (),
) -> City | None:
    """The city to draw: the one whose districts hold most markers (with markers outside every
    shipped city, None); else, without markers, the one whose district names match most of
    `district_names` (the districts the data names); else the first whose name appears in
    `places` (the tenant's name, then its parents'); else None (a plain extent box). Where the
    markers or names spread over several shipped cities, they are drawn together as one."""
    known = cities()
    if markers:
        counts = [
            (sum(1 for m in markers if city.district_at(m.lon, m.lat)), city)
            for city in known.values()
        ]
        return _together(counts)  # None: markers nowhere on a shipped city, a plain box
    names = set(district_names)
    if names:
        city = _together(
            [(len(names & {d.name for d in city.districts}), city) for city in known.values()]
        )
        if city is not None:
            return city
    for place in places:
        for city in known.values():
            if city.name in place:
                return city
    return None


def _together(counts: list[tuple[int, City]]) -> City | None:
    """The cities holding a fair share of the evidence, most first, as one city."""
    total = sum(count for count, _city in counts)
    if not total:
        return None
    chosen = [
        city
        for count, city in sorted(counts, key=lambda c: -c[0])
        if count and count >= SHARE_TO_DRAW * total
    ]
    if len(chosen) == 1:
        return chosen[0]
    return City(
        slug="+".join(city.slug for city in chosen),
        name="、".join(city.name for city in chosen),
        districts=tuple(d for city in chosen for d in city.districts),
    )


# --- Drawing ------------------------------------------------------------------------


class Projection:
    """Equirectangular, longitudes shrunk by cos(latitude) at the centre, fitted to WIDTH and
    a height between MIN_HEIGHT and MAX_HEIGHT with PAD around."""

    def __init__(self, bbox: tuple[float, float, float, float], width: int = WIDTH):
        west, south, east, north = bbox
        self.width = width
        self.west, self.north = west, north
        self.k = math.cos(math.radians((south + north) / 2))
        span_x = max((east - west) * self.k, 1e-3)
        span_y = max(north - south, 1e-3)
        inner_w = width - 2 * PAD
        low = MIN_HEIGHT * width // WIDTH
        self.height = int(min(max(inner_w * span_y / span_x + 2 * PAD, low), MAX_HEIGHT))
        self.scale = min(inner_w / span_x, (self.height - 2 * PAD) / span_y)
        self.off_x = (width - span_x * self.scale) / 2
        self.off_y = (self.height - span_y * self.scale) / 2

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            round(self.off_x + (lon - self.west) * self.k * self.scale, 1),
            round(self.off_y + (self.north - lat) * self.scale, 1),
        )


def _path(district: District, project: Projection) -> tuple[str, Box]:
    parts = []
    xs, ys = [], []
    for polygon in district.polygons:
        for ring in polygon:
            points = [project(lon, lat) for lon, lat in ring]
            xs += [p[0] for p in points]
            ys += [p[1] for p in points]
            parts.append("M" + "L".join(f"{x},{y}" for x, y in points) + "Z")
    return "".join(parts), (min(xs), min(ys), max(xs), max(ys))


def _shade(value: float, top: float) -> str:
    if value <= 0 or top <= 0:
        return SHADES[0]
    step = math.ceil(value / top * (len(SHADES) - 1))
    return SHADES[min(max(step, 1), len(SHADES) - 1)]


def _place(boxes: Sequence[Box], taken: list[Box]) -> tuple[int, Box]:
    """The first candidate box (and its index) that overlaps nothing already placed; when
    every candidate overlaps something, the one that overlaps least."""
    counts = [sum(_overlaps(box, other) for other in taken) for box in boxes]
    index = counts.index(min(counts))
    return index, boxes[index]


def _shifted(box: Box, dx: float, dy: float) -> Box:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy


def _text_box(x: float, y: float, text: str, size: float, anchor: str) -> Box:
    # CJK glyphs are about one em wide, Latin ones about half.
    width = sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return left, y - size, left + width, y + 2


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _fit_inside(box: Box, width: int, height: int) -> tuple[float, float]:
    """How far to move a text box so it lies inside the viewBox (never clipped)."""
    dx = max(2 - box[0], 0) or min(width - 2 - box[2], 0)
    dy = max(2 - box[1], 0) or min(height - 2 - box[3], 0)
    return dx, dy


def render(
    *,
    map_id: str,
    title: str,
    desc: str,
    markers: Sequence[Marker] = (),
    city: City | None = None,
    values: Mapping[str, float] | None = None,
    value_title: str = "{name}: {value}",
    legend_low: str = "",
    legend_high: str = "",
    width: int = WIDTH,
    focus: bool = False,
    legend: Sequence[tuple[str, str]] = (),
) -> BaseMap:
    """Districts of `city` (shaded by `values` when given) and the markers, fitted to the
    city and the markers (with `focus`, to the districts holding markers: the others are
    cut at the edge and keep their label only when it falls inside); with no city, a plain
    box fitted to the markers."""
    boxes = []
    if city is not None:
        held = [d for d in city.districts if any(d.contains(m.lon, m.lat) for m in markers)]
        boxes += [d.bbox() for d in held] if focus and held else [city.bbox()]
    if markers:
        lons = [m.lon for m in markers]
        lats = [m.lat for m in markers]
        boxes.append((min(lons), min(lats), max(lons), max(lats)))
    if not boxes:
        return BaseMap(map_id, title, desc, width, MIN_HEIGHT, city)
    bbox = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    if city is None:  # a little room around markers that could all sit on one spot
        margin = max(bbox[2] - bbox[0], bbox[3] - bbox[1], 0.01) * 0.1
        bbox = (bbox[0] - margin, bbox[1] - margin, bbox[2] + margin, bbox[3] + margin)
    if focus and city is not None:
        margin = max(bbox[2] - bbox[0], bbox[3] - bbox[1]) * 0.05
        bbox = (bbox[0] - margin, bbox[1] - margin, bbox[2] + margin, bbox[3] + margin)
    project = Projection(bbox, width)
    result = BaseMap(
        map_id,
        title,
        desc,
        width,
        project.height,
        city,
        legend=list(legend),
        values=dict(values or {}),
    )
    taken: list[Box] = []

    for marker in markers:  # every marker and picture first: labels then avoid them all
        x, y = project(marker.lon, marker.lat)
        result.markers.append(DrawnMarker(marker, x, y))
        taken.append((x - marker.radius, y - marker.radius, x + marker.radius, y + marker.radius))
        if marker.image:
            taken.append((x - 24, y + marker.radius + 3, x + 24, y + marker.radius + 39))
    for drawn in result.markers:
        marker, x, y = drawn.marker, drawn.x, drawn.y
        r = marker.radius
        parts = [(x - r, y - r, x + r, y + r)]
        if marker.image:
            parts.append((x - 24, y + r + 3, x + 24, y + r + 39))
        if marker.label:
            ly = y + MARKER_FONT * 0.4
            gap = marker.radius + 3
            sides = [("start", x + gap), ("end", x - gap)]
            if x > width * 0.7:
                sides.reverse()
            options = [
                (anchor, lx, ly + shift * MARKER_FONT)
                for shift in (0, 0.6, -0.6, 1.2, -1.2)
                for anchor, lx in sides
            ]
            boxes = [_text_box(lx, y2, marker.label, MARKER_FONT, a) for a, lx, y2 in options]
            index, box = _place(boxes, taken)
            anchor, lx, ly = options[index]
            dx, dy = _fit_inside(box, width, project.height)
            drawn.label_x, drawn.label_y, drawn.anchor = (
                round(lx + dx, 1),
                round(ly + dy, 1),
                anchor,
            )
            taken.append(_shifted(box, dx, dy))
            parts.append(_shifted(box, dx, dy))
        x0, y0 = min(p[0] for p in parts), min(p[1] for p in parts)
        x1, y1 = max(p[2] for p in parts), max(p[3] for p in parts)
        # One clickable area over the marker, its picture and its label (no gaps between
        # them where a click would land on the district underneath).
        drawn.hit = (round(x0, 1), round(y0, 1), round(x1 - x0, 1), round(y1 - y0, 1))

    if city is not None:
        top = max(values.values(), default=0) if values else 0
        for district in city.districts:
            d, path_box = _path(district, project)
            value = (values or {}).get(district.name, 0)
            lx, ly = project(*district.label_at)
            inside = 0 <= lx <= width and 0 <= ly <= project.height
            # A small district gets a smaller label, so it stays on its own district.
            size = round(max(MIN_FONT, min(FONT, (path_box[2] - path_box[0]) / len(district.name))))
            ly += size * 0.4
            first = _text_box(lx, ly, district.name, size, "middle")
            across = (first[2] - first[0]) * 0.6
            shifts: list[tuple[float, float]] = [
                (0, k) for k in (0, 0.5, -0.5, 1, -1, 1.5, -1.5, 2, -2, 3, -3)
            ]
            shifts += [(side, k) for k in (0, 1, -1) for side in (-across, across)]
            _, box = _place([_shifted(first, dx, k * size) for dx, k in shifts], taken)
            dx, dy = _fit_inside(box, width, project.height)
            box = _shifted(box, dx, dy)
            if inside:
                taken.append(box)
            result.districts.append(
                DrawnDistrict(
                    name=district.name,
                    d=d,
                    fill=_shade(value, top) if values is not None else OUTLINE_FILL,
                    title=value_title.format(name=district.name, value=value)
                    if values is not None
                    else district.name,
                    label_x=round((box[0] + box[2]) / 2, 1),
                    label_y=round(box[3] - 2, 1),
                    font_size=size,
                    labelled=inside,
                    bbox=path_box,
                )
            )
        if values is not None:
            result.legend = [(SHADES[0], legend_low), (SHADES[-1], legend_high)]
            result.legend_scale = True
    # Markers are drawn last (on top), labels of districts under them.
    return result
