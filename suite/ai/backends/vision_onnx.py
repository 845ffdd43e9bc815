"""An operator-supplied YOLO-style object detector in ONNX format, run with onnxruntime on CPU.

No detector weights ship with the suite (none exist offline here): the operator exports one
(e.g. ``yolo export model=yolov8n.pt format=onnx``) and configures its path, a file or a folder
holding exactly one ``.onnx``. Supported raw outputs, batch 1:

- ``v5``: (1, N, 5 + nc) rows of cx, cy, w, h, objectness, class scores (YOLOv5/v7);
- ``v8``: (1, 4 + nc, N) columns of cx, cy, w, h, class scores, no objectness (YOLOv8/11).

Option ``layout`` ("auto", "v5", "v8"); auto tells them apart by orientation (anchors outnumber
channels). Models exported with NMS built in (``nms=True``, YOLOv10 end-to-end) are not
supported. Boxes are in input pixels and are mapped back through the letterbox.

Class names: ``options["labels"]`` (a list, or a dict index -> name), else the ONNX metadata
``names`` (Ultralytics writes a dict literal), else ``labels.txt`` beside the model (one per
line), else ``class_<i>``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, cast

import numpy as np
from django.utils.translation import gettext as _

from suite.media.frames import as_bgr_frame, clip_box

from ..capabilities import Capability
from ..errors import BackendUnavailable
from ..types import Detection
from .base import BackendSpec, DetectBackend, register

PAD_VALUE = 114  # the grey Ultralytics letterboxes with; the models were trained on it


def letterbox(
    frame: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray, float, tuple[float, float]]:
    """Resize keeping aspect ratio into size=(height, width), pad evenly; returns (img, r, pad)."""
    import cv2

    height, width = frame.shape[:2]
    target_h, target_w = size
    ratio = min(target_h / height, target_w / width)
    new_w, new_h = round(width * ratio), round(height * ratio)
    pad_x, pad_y = (target_w - new_w) / 2, (target_h - new_h) / 2
    if (new_w, new_h) != (width, height):
        frame = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, left = round(pad_y - 0.1), round(pad_x - 0.1)
    bottom, right = target_h - new_h - top, target_w - new_w - left
    boxed = cv2.copyMakeBorder(
        frame, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3
    )
    return boxed, ratio, (float(left), float(top))


def parse_names(raw: object) -> dict[int, str]:
    """Class names from a list, a dict, or the dict/list literal Ultralytics stores as metadata."""
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return {}
    if isinstance(raw, dict):
        return {int(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list | tuple):
        return {i: str(v) for i, v in enumerate(raw)}
    return {}


def decode(
    output: np.ndarray, layout: str, num_classes: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw model output -> (cxcywh boxes (n,4), scores (n,), class ids (n,)) before NMS."""
    rows = np.asarray(output, dtype=np.float32)
    while rows.ndim > 2 and rows.shape[0] == 1:
        rows = rows[0]
    if rows.ndim != 2:
        raise ValueError(f"expected a (1, N, K) or (1, K, N) output, got {output.shape}")
    if layout == "auto":
        layout = _guess_layout(rows.shape, num_classes)
    if layout == "v8":
        rows = rows.T
        if num_classes is not None and rows.shape[1] != 4 + num_classes:
            raise ValueError(f"v8 output has {rows.shape[1] - 4} classes, labels {num_classes}")
        class_scores = rows[:, 4:]
    elif layout == "v5":
        if num_classes is not None and rows.shape[1] != 5 + num_classes:
            raise ValueError(f"v5 output has {rows.shape[1] - 5} classes, labels {num_classes}")
        class_scores = rows[:, 5:] * rows[:, 4:5]
    else:
        raise ValueError(f"unknown layout {layout!r}")
    if class_scores.shape[1] == 0:
        raise ValueError("the output has no class scores")
    class_ids = np.argmax(class_scores, axis=1)
    scores = class_scores[np.arange(len(rows)), class_ids]
    return rows[:, :4], scores, class_ids


def _guess_layout(shape: tuple[int, ...], num_classes: int | None) -> str:
    if num_classes is not None:
        v8, v5 = shape[0] == 4 + num_classes, shape[1] == 5 + num_classes
        if v8 != v5:
            return "v8" if v8 else "v5"
    # anchors (thousands) outnumber channels (4 or 5 + classes)
    return "v8" if shape[0] < shape[1] else "v5"


@register
class OnnxDetectorBackend(DetectBackend):
    engine = "onnx-detector"
    capabilities = frozenset({Capability.DETECT})

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        opts = self.options
        self.layout = str(opts.get("layout", "auto"))
        self.nms_iou = float(opts.get("nms_iou", 0.45))
        self.max_detections = int(opts.get("max_detections", 300))
        self.threads = int(opts.get("threads", 0))  # 0: onnxruntime decides
        self.names: dict[int, str] = {}
        self.input_size: tuple[int, int] = (640, 640)
        # An onnxruntime.InferenceSession once loaded; onnxruntime ships no type information.
        self._session: Any = None
        self._input_name = ""
        self._input_dtype: type[np.float16] | type[np.float32] = np.float32

    @property
    def labels(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self.names[i] for i in sorted(self.names))

    def model_file(self) -> Path:
        if not self.spec.path:
            raise BackendUnavailable(_("No ONNX detector model is configured (path is empty)."))
        path = Path(self.spec.path)
        if path.is_dir():
            candidates = sorted(path.glob("*.onnx"))
            if len(candidates) != 1:
                raise BackendUnavailable(
                    _("Expected exactly one .onnx file in %(path)s, found %(count)s.")
                    % {"path": path, "count": len(candidates)}
                )
            return candidates[0]
        if not path.is_file():
            raise BackendUnavailable(
                _("The ONNX detector model %(path)s does not exist.") % {"path": path}
            )
        return path

    def load(self) -> None:
        import onnxruntime as ort

        path = self.model_file()
        options = ort.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        try:
            session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise BackendUnavailable(
                _("Could not load the ONNX model %(path)s: %(reason)s")
                % {"path": path, "reason": exc}
            ) from exc
        model_input = session.get_inputs()[0]
        self.input_size = self._input_size(path, model_input.shape)
        self._input_name = model_input.name
        self._input_dtype = np.float16 if model_input.type == "tensor(float16)" else np.float32
        self.names = self._names(path, session)
        self._session = session

    def _input_size(self, path: Path, shape: list) -> tuple[int, int]:
        channels_ok = len(shape) == 4 and (shape[1] == 3 or not isinstance(shape[1], int))
        if not channels_ok:
            raise BackendUnavailable(
                _(
                    "The ONNX model %(path)s takes input of shape %(shape)s; an image detector "
                    "needs a 4-dimensional (batch, 3, height, width) input."
                )
                % {"path": path, "shape": shape}
            )
        option = self.options.get("input_size", 640)
        # isscalar lets complex and bytes through as well; a scalar option is a number or a string.
        side = cast("float | str", option)
        wanted = (int(side), int(side)) if np.isscalar(option) else tuple(map(int, option))
        height = shape[2] if isinstance(shape[2], int) and shape[2] > 0 else wanted[0]
        width = shape[3] if isinstance(shape[3], int) and shape[3] > 0 else wanted[1]
        return (height, width)

    def _names(self, path: Path, session) -> dict[int, str]:
        if self.options.get("labels"):
            return parse_names(
                list(self.options["labels"])
                if isinstance(self.options["labels"], tuple)
                else self.options["labels"]
            )
        metadata = session.get_modelmeta().custom_metadata_map
        names = parse_names(metadata.get("names", ""))
        if names:
            return names
        labels_txt = path.with_name("labels.txt")
        if labels_txt.is_file():
            lines = labels_txt.read_text(encoding="utf-8").splitlines()
            return parse_names([line.strip() for line in lines if line.strip()])
        return {}

    def detect(self, frame: np.ndarray, *, min_score: float = 0.5) -> list[Detection]:
        import cv2

        if self._session is None:
            self.load()
        frame = as_bgr_frame(frame)
        height, width = frame.shape[:2]
        boxed, ratio, (pad_x, pad_y) = letterbox(frame, self.input_size)
        blob = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None]
        blob = (blob.astype(np.float32) / 255.0).astype(self._input_dtype)
        output = self._session.run(None, {self._input_name: blob})[0]
        try:
            centres, scores, class_ids = decode(
                output, self.layout, len(self.names) if self.names else None
            )
        except ValueError as exc:
            raise BackendUnavailable(
                _("The ONNX detector's output is not a supported YOLO layout: %(reason)s")
                % {"reason": exc}
            ) from exc
        keep = scores >= min_score
        centres, scores, class_ids = centres[keep], scores[keep], class_ids[keep]
        if not len(scores):
            return []
        # centre xywh in letterboxed input pixels -> corner xywh in original pixels
        xywh = np.empty_like(centres)
        xywh[:, 0] = (centres[:, 0] - centres[:, 2] / 2 - pad_x) / ratio
        xywh[:, 1] = (centres[:, 1] - centres[:, 3] / 2 - pad_y) / ratio
        xywh[:, 2:] = centres[:, 2:] / ratio
        kept = cv2.dnn.NMSBoxesBatched(
            xywh.tolist(), scores.tolist(), class_ids.tolist(), float(min_score), self.nms_iou
        )
        detections = []
        for i in sorted(np.ravel(kept).astype(int), key=lambda i: -scores[i]):
            box = clip_box(xywh[i], width, height)
            if box is None:
                continue
            class_id = int(class_ids[i])
            label = self.names.get(class_id, f"class_{class_id}")
            detections.append(Detection(label=label, score=round(float(scores[i]), 4), box=box))
            if len(detections) >= self.max_detections:
                break
        return detections
