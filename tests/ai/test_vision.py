"""Vision backends on synthetic frames, a real portrait, and tiny ONNX models built here."""

from __future__ import annotations

import math
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from matplotlib import cbook

from suite.ai.backends import engine_class
from suite.ai.backends.base import BackendSpec
from suite.ai.backends.vision_mediapipe import MediapipeFaceBackend
from suite.ai.backends.vision_onnx import OnnxDetectorBackend, decode, letterbox, parse_names
from suite.ai.backends.vision_opencv import (
    HogPeopleBackend,
    margin_to_score,
    nms,
    score_to_margin,
)
from suite.ai.errors import BackendUnavailable, InvalidInput
from suite.media.frames import blur_regions

# Grace Hopper's face in matplotlib's sample portrait (512x600), labelled by hand: hat brim to
# chin, ear to ear. Any correct face box lies inside it and contains its centre.
FACE_REGION = (150, 100, 385, 350)  # x0, y0, x1, y1
FACE_CENTRE = (265, 240)


def iou(a, b) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def contains(box, point) -> bool:
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def textured(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.integers(40, 140, size=(height // 8, width // 8, 3), dtype=np.uint8)
    return cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)


def silhouette(frame: np.ndarray, x: int, y: int, s: float = 1.0, shade: int = 40) -> tuple:
    """Draws a standing person (head, torso, arms, legs) in a 64x128*s window at (x, y)."""
    colour = (shade,) * 3

    def S(v: float) -> int:
        return round(v * s)

    cx = x + S(32)
    cv2.ellipse(frame, (cx, y + S(22)), (S(9), S(11)), 0, 0, 360, colour, -1)
    cv2.rectangle(frame, (cx - S(4), y + S(30)), (cx + S(4), y + S(36)), colour, -1)
    torso = [[cx - S(15), y + S(36)], [cx + S(15), y + S(36)]]
    torso += [[cx + S(13), y + S(76)], [cx - S(13), y + S(76)]]
    cv2.fillPoly(frame, [np.array(torso)], colour)
    for side in (-1, 1):
        cv2.line(
            frame, (cx + side * S(15), y + S(38)), (cx + side * S(19), y + S(74)), colour, S(6)
        )
        cv2.line(
            frame, (cx + side * S(7), y + S(74)), (cx + side * S(10), y + S(114)), colour, S(9)
        )
    return (cx - S(19), y + S(11), S(38), S(103))  # the figure's own extent


@pytest.fixture(scope="module")
def portrait() -> np.ndarray:
    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return cv2.imread(str(path))


# --- HOG people ------------------------------------------------------------------------------


def test_hog_score_mapping_is_logistic_and_invertible():
    assert margin_to_score(0.0) == 0.5
    assert margin_to_score(2.0) == pytest.approx(1 / (1 + math.exp(-2)))
    for score in (0.1, 0.5, 0.73, 0.99):
        assert margin_to_score(score_to_margin(score)) == pytest.approx(score)


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = [(10, 10, 100, 200), (14, 12, 100, 200), (300, 10, 100, 200)]
    assert nms(boxes, [0.7, 0.9, 0.6], 0.45) == [1, 2]


@pytest.fixture(scope="module")
def hog() -> HogPeopleBackend:
    backend = engine_class("opencv-hog")(BackendSpec("opencv-hog"))
    backend.load()
    return backend


def test_hog_finds_a_person_silhouette(hog):
    frame = np.full((480, 640, 3), 200, np.uint8)
    figure = silhouette(frame, 200, 40)
    found = hog.detect(frame)
    assert len(found) == 1
    person = found[0]
    assert person.label == "person" and person.score > 0.5
    assert iou(person.box, figure) > 0.2  # HOG windows carry a margin around the body
    fx, fy, fw, fh = figure
    assert contains(person.box, (fx, fy)) and contains(person.box, (fx + fw, fy + fh))
    # above its own score the detection disappears: min_score filters
    assert hog.detect(frame, min_score=min(0.999, person.score + 0.01)) == []


def test_hog_maps_boxes_back_from_the_downscaled_frame(hog):
    big = np.full((960, 1280, 3), 200, np.uint8)
    silhouette(big, 400, 80, s=2.0)
    small = cv2.resize(big, (640, 480), interpolation=cv2.INTER_AREA)
    full = HogPeopleBackend(BackendSpec("opencv-hog", options={"max_width": 0}))
    full.load()
    from_big = hog.detect(big)  # max_width 640: detects on a 2x downscale
    from_small = full.detect(small)
    assert len(from_big) == len(from_small) == 1
    assert from_big[0].box == pytest.approx(tuple(2 * v for v in from_small[0].box), abs=2)
    assert from_big[0].score == from_small[0].score


def test_hog_reports_nobody_on_empty_or_textured_frames(hog):
    assert hog.detect(np.full((480, 640, 3), 128, np.uint8)) == []
    assert hog.detect(textured(480, 640, seed=3)) == []


def test_hog_rejects_non_images(hog):
    with pytest.raises(InvalidInput):
        hog.detect(np.zeros((0, 0, 3), np.uint8))
    with pytest.raises(InvalidInput):
        hog.detect(np.zeros((10, 10, 3), np.float32))


# --- BlazeFace and blurring ------------------------------------------------------------------


@pytest.fixture(scope="module")
def faces() -> MediapipeFaceBackend:
    backend = engine_class("mediapipe-face")(BackendSpec("mediapipe-face"))
    backend.load()
    return backend


@pytest.mark.parametrize("model", [0, 1])
def test_blazeface_finds_the_one_face_in_a_portrait(portrait, model):
    backend = MediapipeFaceBackend(BackendSpec("mediapipe-face", options={"model": model}))
    found = backend.detect(portrait)
    assert len(found) == 1
    face = found[0]
    assert face.label == "face" and face.score > 0.8
    x, y, w, h = face.box
    x0, y0, x1, y1 = FACE_REGION
    assert x0 <= x and y0 <= y and x + w <= x1 and y + h <= y1, face.box
    assert contains(face.box, FACE_CENTRE)
    assert w > 100 and h > 100


def test_blazeface_clips_to_the_frame_and_finds_no_face_in_a_blank_frame(faces, portrait):
    assert faces.detect(np.full((480, 640, 3), 90, np.uint8)) == []
    half = portrait[:, 200:]  # the face's left part is cut off
    found = faces.detect(half)
    assert len(found) == 1
    x, y, w, h = found[0].box
    assert x >= 0 and x + w <= half.shape[1] and y >= 0 and y + h <= half.shape[0]


def test_blazeface_accepts_grey_frames(faces, portrait):
    grey = cv2.cvtColor(portrait, cv2.COLOR_BGR2GRAY)
    assert len(faces.detect(grey)) == 1


def test_blazeface_rejects_a_bad_model_option():
    with pytest.raises(BackendUnavailable):
        MediapipeFaceBackend(BackendSpec("mediapipe-face", options={"model": 3}))


def laplacian_var(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


@pytest.mark.parametrize("method", ["gaussian", "pixelate"])
def test_blur_regions_obscures_faces_and_nothing_else(faces, portrait, method):
    found = faces.detect(portrait)
    pad = 0.15
    blurred = blur_regions(portrait, found, pad=pad, method=method)
    assert blurred is not portrait and not np.shares_memory(blurred, portrait)

    x, y, w, h = found[0].box
    before, after = portrait[y : y + h, x : x + w], blurred[y : y + h, x : x + w]
    if method == "gaussian":
        assert laplacian_var(after) * 10 < laplacian_var(before)
    else:  # block edges are sharp, but the face is reduced to a coarse grid of flat cells
        distinct_columns = len(np.unique(after[h // 2], axis=0))
        assert distinct_columns <= 14 < len(np.unique(before[h // 2], axis=0))

    # outside the padded box every pixel is untouched
    mask = np.ones(portrait.shape[:2], bool)
    px, py = round(w * pad), round(h * pad)
    mask[max(0, y - py) : y + h + py, max(0, x - px) : x + w + px] = False
    assert np.array_equal(blurred[mask], portrait[mask])
    # and the detector no longer sees a face there
    assert faces.detect(blurred) == []


@pytest.fixture(scope="module")
def both_blazefaces():
    """Both BlazeFace models at a low threshold: the strictest check this machine can make."""
    backends = [
        MediapipeFaceBackend(BackendSpec("mediapipe-face", options={"model": m})) for m in (0, 1)
    ]
    for backend in backends:
        backend.load()
    return lambda image: [d for b in backends for d in b.detect(image, min_score=0.3)]


def portrait_scenes(portrait: np.ndarray) -> list[np.ndarray]:
    """The portrait itself, and copies of it from 360 down to 90 pixels high at five places
    in a textured scene (a few of them only partly inside the frame)."""
    scenes = [portrait]
    for size in (360, 300, 240, 200, 160, 120, 90):
        face = cv2.resize(portrait, (round(size * 512 / 600), size), interpolation=cv2.INTER_AREA)
        for x, y in ((40, 90), (200, 150), (400, 60), (30, 280), (500, 300)):
            scene = textured(480, 640, seed=size + x)
            h, w = min(size, 480 - y), min(face.shape[1], 640 - x)
            scene[y : y + h, x : x + w] = face[:h, :w]
            scenes.append(scene)
    return scenes


@pytest.mark.parametrize("method", ["gaussian", "pixelate"])
def test_no_face_shape_survives_obscuring_for_either_blazeface(both_blazefaces, portrait, method):
    # a plain Gaussian blur left a face-shaped blob that BlazeFace still found in 4 of 10 of
    # these scenes, pixelation in nearly all; neither model may find anything after obscuring
    with_faces = 0
    for scene in portrait_scenes(portrait):
        found = both_blazefaces(scene)
        if not found:  # the smallest copies, cut by the frame's edge
            continue
        with_faces += 1
        obscured = blur_regions(scene, found, method=method)
        assert both_blazefaces(obscured) == []
        # the obscured face is close to flat: its spread is a fraction of the original's
        x, y, w, h = found[0].box
        spread_after = obscured[y : y + h, x : x + w].std(axis=(0, 1)).max()
        assert spread_after < 0.4 * scene[y : y + h, x : x + w].std(axis=(0, 1)).max()
    assert with_faces >= 25


def test_blur_regions_accepts_grey_frames(portrait):
    grey = cv2.cvtColor(portrait, cv2.COLOR_BGR2GRAY)
    out = blur_regions(grey, [(200, 150, 120, 150)])
    assert out.shape == grey.shape and out.dtype == np.uint8
    assert out[150:300, 200:320].std() < 0.4 * grey[150:300, 200:320].std()


def test_blur_regions_ignores_boxes_outside_the_frame(portrait):
    out = blur_regions(portrait, [(-500, -500, 100, 100), (600, 700, 50, 50)])
    assert np.array_equal(out, portrait)


# --- ONNX YOLO-style detector ----------------------------------------------------------------

# Detections in 640x640 input pixels: cx, cy, w, h, per-class weight (person, car). The model
# multiplies the weights by the input's mean (0..1), so a brighter frame scores higher.
ANCHORS = [
    (320, 320, 100, 200, 2.0, 0.0),  # a person
    (324, 322, 100, 200, 1.6, 0.0),  # a duplicate of it: NMS must drop it
    (324, 322, 100, 200, 0.0, 1.7),  # same place, another class: per-class NMS keeps it
    (100, 250, 60, 40, 0.0, 1.2),  # a small car
]
NAMES = {0: "person", 1: "car"}


def build_yolo(
    path: Path,
    *,
    layout: str = "v8",
    size: int | None = 640,
    names: dict | None = NAMES,
    rank: int = 4,
) -> Path:
    """A tiny YOLO-shaped ONNX graph: fixed boxes, class scores = weights * mean(input)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    # real heads have thousands of anchors; pad with empty ones so N outnumbers the channels
    anchors = np.zeros((64, 6), np.float32)
    anchors[: len(ANCHORS)] = ANCHORS
    boxes = anchors[:, :4].T[None]  # (1, 4, N)
    weights = anchors[:, 4:].T[None]  # (1, nc, N)
    dims = [1, 3, size, size] if size else ["batch", 3, "height", "width"]
    if rank != 4:
        dims = [1, 3 * 640 * 640]
    inputs = [helper.make_tensor_value_info("images", TensorProto.FLOAT, dims)]
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "weights"], ["scores"]),
    ]
    inits = [numpy_helper.from_array(boxes, "boxes"), numpy_helper.from_array(weights, "weights")]
    if layout == "v8":
        nodes.append(helper.make_node("Concat", ["boxes", "scores"], ["output0"], axis=1))
        out_shape = [1, 4 + weights.shape[1], len(anchors)]
    else:
        objectness = np.full((1, 1, len(anchors)), 0.9, np.float32)
        inits.append(numpy_helper.from_array(objectness, "objectness"))
        nodes.append(helper.make_node("Concat", ["boxes", "objectness", "scores"], ["cat"], axis=1))
        nodes.append(helper.make_node("Transpose", ["cat"], ["output0"], perm=[0, 2, 1]))
        out_shape = [1, len(anchors), 5 + weights.shape[1]]
    outputs = [helper.make_tensor_value_info("output0", TensorProto.FLOAT, out_shape)]
    graph = helper.make_graph(nodes, "tiny_yolo", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if names is not None:
        helper.set_model_props(model, {"names": repr(names), "stride": "32"})
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


@pytest.fixture(scope="session")
def yolo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("yolo")
    build_yolo(folder / "v8.onnx", layout="v8")
    build_yolo(folder / "v5.onnx", layout="v5")
    build_yolo(folder / "dynamic.onnx", size=None)
    build_yolo(folder / "flat.onnx", rank=2)
    (folder / "nameless").mkdir()
    build_yolo(folder / "nameless" / "model.onnx", names=None)
    return folder


def grey_frame(value: int, height: int = 640, width: int = 1280) -> np.ndarray:
    return np.full((height, width, 3), value, np.uint8)


# A 1280x640 frame letterboxes to 640x320 at ratio 0.5 with 160 px of grey (114) above and
# below. Grey 141 makes the input mean (141 + 114) / 2 / 255 = 0.5.
BRIGHT = grey_frame(141)
PERSON_BOX = (540, 120, 200, 400)  # (320-50, 320-100) -> ((270-0)/0.5, (220-160)/0.5)
CAR_BOX = (140, 140, 120, 80)  # (100-30, 250-20) -> (70/0.5, (230-160)/0.5)


def load_onnx(path: Path, **options) -> OnnxDetectorBackend:
    backend = engine_class("onnx-detector")(BackendSpec("onnx-detector", str(path), options))
    backend.load()
    return backend


@pytest.mark.parametrize("layout", ["v8", "v5"])
def test_onnx_detector_maps_boxes_through_the_letterbox(yolo_dir, layout):
    backend = load_onnx(yolo_dir / f"{layout}.onnx")
    assert backend.input_size == (640, 640)
    found = backend.detect(BRIGHT, min_score=0.4)
    objectness = 0.9 if layout == "v5" else 1.0
    got = [(d.label, d.box, d.score) for d in found]
    assert got == [
        ("person", PERSON_BOX, pytest.approx(1.0 * objectness, abs=1e-3)),
        ("car", (548, 124, 200, 400), pytest.approx(0.85 * objectness, abs=1e-3)),
        ("car", CAR_BOX, pytest.approx(0.6 * objectness, abs=1e-3)),
    ]


def test_onnx_detector_layout_can_be_forced(yolo_dir):
    backend = load_onnx(yolo_dir / "v8.onnx", layout="v5")  # wrong on purpose
    with pytest.raises(BackendUnavailable):
        backend.detect(BRIGHT)  # read as rows of 64 values, the classes don't match the labels
    right = load_onnx(yolo_dir / "v8.onnx", layout="v8")
    assert len(right.detect(BRIGHT)) == 3


def test_onnx_detector_scores_follow_the_input_and_min_score_filters(yolo_dir):
    backend = load_onnx(yolo_dir / "v8.onnx")
    assert [d.label for d in backend.detect(BRIGHT, min_score=0.7)] == ["person", "car"]
    # black content: mean (0 + 114) / 2 / 255 = 0.224, best score 0.45 < 0.5
    assert backend.detect(grey_frame(0)) == []
    assert len(backend.detect(grey_frame(0), min_score=0.2)) == 3


def test_onnx_detector_labels_from_options_metadata_or_labels_txt(yolo_dir, tmp_path):
    assert load_onnx(yolo_dir / "v8.onnx").labels == ("person", "car")
    override = load_onnx(yolo_dir / "v8.onnx", labels=["行人", "车辆"])
    assert [d.label for d in override.detect(BRIGHT)] == ["行人", "车辆", "车辆"]
    nameless = load_onnx(yolo_dir / "nameless")  # a folder holding one .onnx
    assert [d.label for d in nameless.detect(BRIGHT)] == ["class_0", "class_1", "class_1"]

    folder = tmp_path / "with_txt"
    folder.mkdir()
    build_yolo(folder / "model.onnx", names=None)
    (folder / "labels.txt").write_text("pedestrian\nbicycle\n", encoding="utf-8")
    assert load_onnx(folder / "model.onnx").labels == ("pedestrian", "bicycle")


def test_onnx_detector_dynamic_input_takes_the_size_option(yolo_dir):
    default = load_onnx(yolo_dir / "dynamic.onnx")
    assert default.input_size == (640, 640)
    assert default.detect(BRIGHT)[0].box == PERSON_BOX
    assert load_onnx(yolo_dir / "dynamic.onnx", input_size=[384, 512]).input_size == (384, 512)


def test_onnx_detector_unusable_models_are_unavailable(yolo_dir, tmp_path):
    missing = tmp_path / "nope" / "yolo.onnx"
    with pytest.raises(BackendUnavailable, match=re.escape(str(missing))):
        load_onnx(missing)
    with pytest.raises(BackendUnavailable, match="4-dimensional"):
        load_onnx(yolo_dir / "flat.onnx")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a protobuf")
    with pytest.raises(BackendUnavailable, match=re.escape(str(broken))):
        load_onnx(broken)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendUnavailable, match="exactly one"):
        load_onnx(tmp_path / "empty")


def test_letterbox_and_decode_helpers():
    boxed, ratio, pad = letterbox(np.zeros((100, 300, 3), np.uint8), (640, 640))
    assert boxed.shape == (640, 640, 3) and ratio == pytest.approx(640 / 300)
    assert pad[0] == 0 and pad[1] == pytest.approx((640 - 213) / 2, abs=1)
    assert boxed[0, 0, 0] == 114 and boxed[320, 320, 0] == 0
    assert parse_names("{0: 'person', 1: 'bicycle'}") == {0: "person", 1: "bicycle"}
    assert parse_names("not a literal {") == {}
    v5 = np.array([[[10, 10, 4, 4, 0.5, 0.2, 0.8]]], np.float32)
    _, scores, classes = decode(v5, "v5", None)
    assert scores.tolist() == pytest.approx([0.4]) and classes.tolist() == [1]
