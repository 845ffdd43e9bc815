"""Decoding of ECharts' compressed map geometry ("UTF8Encoding").

ECharts map files store each ring as a string: every point is two characters, each the
zigzag-encoded delta from the previous point plus 64, in units of 1/1024 degree; the first
point's deltas start from the ring's `encodeOffsets` entry. Used once by
`scripts/geo_from_echarts.py` to turn the maps into GeoJSON; nothing reads it at run time.
"""

from __future__ import annotations

SCALE = 1024


def decode_ring(encoded: str, offset: tuple[int, int], scale: int = SCALE) -> list[list[float]]:
    """The [lon, lat] points of one encoded ring."""
    if len(encoded) % 2:
        raise ValueError("an encoded ring has an even number of characters")
    prev_x, prev_y = offset
    points = []
    for i in range(0, len(encoded), 2):
        x = ord(encoded[i]) - 64
        y = ord(encoded[i + 1]) - 64
        x = (x >> 1) ^ -(x & 1)
        y = (y >> 1) ^ -(y & 1)
        prev_x += x
        prev_y += y
        points.append([prev_x / scale, prev_y / scale])
    return points


def encode_ring(points: list[list[float]], scale: int = SCALE) -> tuple[str, tuple[int, int]]:
    """The inverse of `decode_ring` (points are quantised to 1/scale degree); for tests."""
    quantised = [(round(lon * scale), round(lat * scale)) for lon, lat in points]
    offset = quantised[0]
    prev_x, prev_y = offset
    chars = []
    for x, y in quantised:
        for delta in (x - prev_x, y - prev_y):
            chars.append(chr(((delta << 1) ^ (delta >> 31)) + 64))
        prev_x, prev_y = x, y
    return "".join(chars), offset


def decode_geometry(geometry: dict, encode_offsets: list) -> dict:
    """A GeoJSON geometry (Polygon or MultiPolygon) from its encoded form."""
    kind = geometry["type"]
    if kind == "Polygon":
        rings = [
            decode_ring(ring, tuple(off))
            for ring, off in zip(geometry["coordinates"], encode_offsets, strict=True)
        ]
        return {"type": "Polygon", "coordinates": rings}
    if kind == "MultiPolygon":
        polygons = [
            [decode_ring(ring, tuple(off)) for ring, off in zip(poly, offs, strict=True)]
            for poly, offs in zip(geometry["coordinates"], encode_offsets, strict=True)
        ]
        return {"type": "MultiPolygon", "coordinates": polygons}
    raise ValueError(f"unsupported geometry type {kind!r}")
