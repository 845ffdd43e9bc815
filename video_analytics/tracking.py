"""A small IoU/centroid tracker: enough to follow people or moving objects between sampled
frames for dwell times and line crossings, without an appearance model."""

from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[int, int, int, int]


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    x0, y0 = max(ax, bx), max(ay, by)
    x1, y1 = min(ax + aw, bx + bw), min(ay + ah, by + bh)
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = aw * ah + bw * bh - inter
    return inter / union if union else 0.0


def centre(box: Box) -> tuple[float, float]:
    x, y, w, h = box
    return x + w / 2, y + h / 2


@dataclass
class Track:
    id: int
    label: str
    box: Box
    first_t: float
    last_t: float
    missed: int = 0
    hits: int = 1  # frames it was seen in
    history: list[tuple[float, Box]] = field(default_factory=list)

    def anchor(self, width: int, height: int) -> tuple[float, float]:
        """Where the object stands, normalised: the bottom centre of its box (the feet)."""
        x, y, w, h = self.box
        return (x + w / 2) / width, (y + h) / height

    def previous_anchor(self, width: int, height: int) -> tuple[float, float] | None:
        if len(self.history) < 2:
            return None
        x, y, w, h = self.history[-2][1]
        return (x + w / 2) / width, (y + h) / height


class Tracker:
    def __init__(
        self,
        *,
        label: str,
        min_iou: float = 0.2,
        max_distance: float = 0.2,
        max_missed: int = 5,
        history: int = 100,
    ):
        """max_distance is a fraction of the frame diagonal a centre may jump between samples."""
        self.label = label
        self.min_iou = min_iou
        self.max_distance = max_distance
        self.max_missed = max_missed
        self.history = history
        self.tracks: dict[int, Track] = {}
        self._next = 1

    def update(self, boxes: list[Box], t: float, width: int, height: int) -> list[Track]:
        """Match boxes to live tracks (best IoU, else nearest centre), start tracks for the rest;
        returns the tracks seen in this frame."""
        diagonal = (width**2 + height**2) ** 0.5
        pairs = []
        for tid, track in self.tracks.items():
            for i, box in enumerate(boxes):
                overlap = iou(track.box, box)
                (cx, cy), (bx, by) = centre(track.box), centre(box)
                distance = ((cx - bx) ** 2 + (cy - by) ** 2) ** 0.5 / diagonal
                if overlap >= self.min_iou or distance <= self.max_distance:
                    pairs.append((-overlap, distance, tid, i))
        pairs.sort()
        used_tracks: set[int] = set()
        used_boxes: set[int] = set()
        seen: list[Track] = []
        for _neg, _dist, tid, i in pairs:
            if tid in used_tracks or i in used_boxes:
                continue
            used_tracks.add(tid)
            used_boxes.add(i)
            track = self.tracks[tid]
            track.box, track.last_t, track.missed = boxes[i], t, 0
            track.hits += 1
            track.history = [*track.history, (t, boxes[i])][-self.history :]
            seen.append(track)
        for tid in list(self.tracks):
            if tid not in used_tracks:
                self.tracks[tid].missed += 1
                if self.tracks[tid].missed > self.max_missed:
                    del self.tracks[tid]
        for i, box in enumerate(boxes):
            if i not in used_boxes:
                track = Track(self._next, self.label, box, t, t, history=[(t, box)])
                self.tracks[self._next] = track
                self._next += 1
                seen.append(track)
        return seen
