"""RapidOCR with its bundled Chinese models on text rendered here in a CJK font."""

from __future__ import annotations

from pathlib import Path

import cvttf_NotoSansCJK_Regular
import numpy as np
import pytest
import rapidocr_onnxruntime
from PIL import Image, ImageDraw, ImageFont

from suite.ai.backends import engine_class
from suite.ai.backends.base import BackendSpec
from suite.ai.backends.ocr_rapidocr import RapidOcrBackend
from suite.ai.errors import BackendUnavailable, InvalidInput

FONT = cvttf_NotoSansCJK_Regular.get_TTF_path()


def render(lines: list[str], *, size: int = 40, width: int = 720) -> np.ndarray:
    """White BGR image with each line drawn in black, 2 line-heights apart."""
    font = ImageFont.truetype(FONT, size)
    image = Image.new("RGB", (width, size * (2 * len(lines) + 1)), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((30, size * (2 * i + 1) - size // 2), line, font=font, fill="black")
    return np.array(image)[:, :, ::-1].copy()


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate, spaces ignored (Chinese OCR drops or adds them freely)."""
    ref, hyp = reference.replace(" ", ""), hypothesis.replace(" ", "")
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / len(ref)


@pytest.fixture(scope="module")
def ocr() -> RapidOcrBackend:
    backend = engine_class("rapidocr")(BackendSpec("rapidocr"))
    backend.load()
    return backend


def test_cer_helper():
    assert cer("中国移动", "中国移动") == 0
    assert cer("中国移动", "中国移") == 0.25
    assert cer("ab", "xy") == 1


def test_reads_rendered_chinese_lines_in_order(ocr):
    lines = ["中国移动 5G 套餐 128元", "月租 58 元 含流量 30GB"]
    frame = render(lines)
    found = ocr.ocr(frame)
    assert len(found) == 2
    for line, expected in zip(found, lines, strict=True):
        assert cer(expected, line.text) <= 0.1, line.text
        assert 0.5 <= line.score <= 1
        assert len(line.box) == 4
    text = "".join(line.text for line in found)
    for key in ("中国移动", "套餐", "元", "流量"):
        assert key in text
    # boxes sit on their lines: the first line's centre is above the second's
    centres = [np.mean([y for _, y in line.box]) for line in found]
    assert centres[0] < frame.shape[0] / 2 < centres[1]
    xs = [x for x, _ in found[0].box]
    assert 0 <= min(xs) < 60 and max(xs) <= frame.shape[1]


def test_blank_image_has_no_lines(ocr):
    assert ocr.ocr(np.full((200, 600, 3), 255, np.uint8)) == []


def test_rejects_non_images(ocr):
    with pytest.raises(InvalidInput):
        ocr.ocr(np.zeros((0, 10, 3), np.uint8))


def test_model_folder_must_hold_det_and_rec_models(tmp_path):
    with pytest.raises(BackendUnavailable, match="does not exist"):
        RapidOcrBackend(BackendSpec("rapidocr", str(tmp_path / "missing"))).load()
    only_det = tmp_path / "only_det"
    only_det.mkdir()
    (only_det / "det.onnx").write_bytes(b"")
    with pytest.raises(BackendUnavailable, match="rec"):
        RapidOcrBackend(BackendSpec("rapidocr", str(only_det))).load()


def test_loads_models_from_a_configured_folder(tmp_path):
    bundled = Path(rapidocr_onnxruntime.__file__).parent / "models"
    for model in bundled.glob("*.onnx"):
        (tmp_path / model.name).symlink_to(model)
    backend = RapidOcrBackend(BackendSpec("rapidocr", str(tmp_path), {"min_score": 0.9}))
    backend.load()
    found = backend.ocr(render(["话费余额 36 元"]))
    assert len(found) == 1 and cer("话费余额36元", found[0].text) <= 0.15
    assert found[0].score >= 0.9
