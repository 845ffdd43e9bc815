import json

import matplotlib.cbook
import numpy as np
import pytest
from PIL import Image

from suite.ai.backends import engine_class
from suite.ai.backends.base import BackendSpec
from suite.ai.backends.image_design import plan_title
from suite.ai.backends.image_diffusers import DiffusersImageBackend
from suite.ai.backends.image_opencv import STYLIZERS, OpenCVStylizeBackend, pick_theme
from suite.ai.errors import BackendUnavailable, InvalidInput
from suite.ai.styles import STYLES, apply_style, get_style, style_choices
from tests.ai.tiny_sd import build_tiny_sd

PORTRAIT = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


@pytest.fixture(scope="session")
def tiny_sd_dir(tmp_path_factory):
    return build_tiny_sd(tmp_path_factory.mktemp("models") / "tiny-sd")


@pytest.fixture(scope="session")
def sd(tiny_sd_dir):
    backend = DiffusersImageBackend(BackendSpec("diffusers", str(tiny_sd_dir), {"steps": 2}))
    backend.load()
    return backend


@pytest.fixture(scope="session")
def cv():
    backend = OpenCVStylizeBackend(BackendSpec("opencv-stylize"))
    backend.load()
    return backend


@pytest.fixture(scope="session")
def portrait():
    img = Image.open(PORTRAIT).convert("RGB")
    return img.resize((256, 300), Image.Resampling.LANCZOS)


def _arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.int16)


# --- registry and styles -------------------------------------------------------------------


def test_engines_resolve_to_the_classes():
    assert engine_class("diffusers") is DiffusersImageBackend
    assert engine_class("opencv-stylize") is OpenCVStylizeBackend
    assert DiffusersImageBackend.generative is True
    assert OpenCVStylizeBackend.generative is False


def test_style_presets_are_complete():
    expected = {
        "oil_painting": "油画",
        "watercolor": "水彩",
        "ink_wash": "水墨",
        "anime": "动漫",
        "cyberpunk": "赛博朋克",
        "cartoon_3d": "3D卡通",
        "photo_portrait": "写真",
        "pencil_sketch": "素描",
    }
    assert {k: v for k, v in style_choices() if k in expected} == expected
    for style in STYLES.values():
        assert style.prompt_suffix and style.negative_prompt
        assert style.opencv in STYLIZERS


def test_unknown_style_lists_valid_ones():
    with pytest.raises(InvalidInput) as err:
        get_style("vaporwave")
    assert "oil_painting" in err.value.message and "pencil_sketch" in err.value.message
    assert get_style(None) is None


def test_apply_style_appends_prompt_and_negative():
    prompt, negative = apply_style("a cat", "ugly", "ink_wash")
    assert prompt.startswith("a cat, ") and "ink wash" in prompt
    assert negative.startswith("ugly, ") and "color" in negative
    assert apply_style("a cat", "", None) == ("a cat", "")


# --- diffusers -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cat_seed1(sd):
    return sd.generate("a cat", width=64, height=64, steps=2, seed=1)


def test_text_to_image_returns_asked_size_and_seed(cat_seed1):
    assert cat_seed1.seed == 1
    assert len(cat_seed1.images) == 1
    assert cat_seed1.images[0].size == (64, 64)
    assert cat_seed1.images[0].mode == "RGB"


def test_same_seed_same_pixels_different_seed_differs(sd, cat_seed1):
    again = sd.generate("a cat", width=64, height=64, steps=2, seed=1).images[0]
    other = sd.generate("a cat", width=64, height=64, steps=2, seed=2).images[0]
    assert np.array_equal(_arr(cat_seed1.images[0]), _arr(again))
    assert not np.array_equal(_arr(cat_seed1.images[0]), _arr(other))


def test_random_seed_is_reported(sd):
    result = sd.generate("a dog", width=64, height=64, steps=1)
    assert isinstance(result.seed, int) and 0 <= result.seed < 2**32


def test_style_changes_the_pixels(sd, cat_seed1):
    styled = sd.generate("a cat", width=64, height=64, steps=2, seed=1, style="ink_wash").images[0]
    assert not np.array_equal(_arr(cat_seed1.images[0]), _arr(styled))


def test_size_not_multiple_of_8_and_several_images(sd):
    result = sd.generate("x", width=70, height=64, steps=2, seed=1, n=2)
    assert [img.size for img in result.images] == [(70, 64), (70, 64)]


def test_image_to_image_keeps_input_size(sd):
    src = Image.new("RGB", (80, 64), (200, 30, 30))
    result = sd.edit(src, "make it blue", strength=0.5, steps=2, seed=5)
    assert result.images[0].size == (80, 64)
    again = sd.edit(src, "make it blue", strength=0.5, steps=2, seed=5)
    assert np.array_equal(_arr(result.images[0]), _arr(again.images[0]))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"width": 100_000, "height": 64},
        {"width": 8, "height": 64},
        {"width": 64, "height": 64, "n": 0},
        {"width": 64, "height": 64, "steps": 0},
        {"width": 64, "height": 64, "seed": -1},
        {"width": 64, "height": 64, "style": "nope"},
    ],
)
def test_bad_generate_arguments_are_invalid_input(sd, kwargs):
    with pytest.raises(InvalidInput):
        sd.generate("x", **kwargs)


def test_bad_strength_is_invalid_input(sd):
    with pytest.raises(InvalidInput):
        sd.edit(Image.new("RGB", (64, 64)), "x", strength=1.5)


def test_missing_folder_is_unavailable_and_names_the_path(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(BackendUnavailable) as err:
        DiffusersImageBackend(BackendSpec("diffusers", str(missing))).load()
    assert str(missing) in err.value.message
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendUnavailable) as err:
        DiffusersImageBackend(BackendSpec("diffusers", str(tmp_path / "empty"))).load()
    assert "model_index.json" in err.value.message
    with pytest.raises(BackendUnavailable):
        DiffusersImageBackend(BackendSpec("diffusers", "")).load()


def test_broken_folder_is_unavailable(tmp_path):
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "Nope"}))
    with pytest.raises(BackendUnavailable) as err:
        DiffusersImageBackend(BackendSpec("diffusers", str(tmp_path))).load()
    assert str(tmp_path) in err.value.message


def test_turbo_defaults_from_folder_name():
    turbo = DiffusersImageBackend(BackendSpec("diffusers", "/models/sdxl-turbo"))
    assert turbo.guidance_scale == 0.0 and turbo.default_steps <= 4
    plain = DiffusersImageBackend(BackendSpec("diffusers", "/models/sd15", {"steps": 30}))
    assert plain.guidance_scale > 1 and plain.default_steps == 30


# --- opencv fallback -----------------------------------------------------------------------


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_restyles_the_photo(cv, portrait, style):
    result = cv.edit(portrait, style=style, seed=4)
    out = result.images[0]
    assert out.size == portrait.size
    diff = np.abs(_arr(out) - _arr(portrait)).mean()
    assert diff > 3, f"{style} barely changed the photo ({diff:.2f})"
    again = cv.edit(portrait, style=style, seed=4).images[0]
    assert np.array_equal(_arr(out), _arr(again))


def test_pencil_sketch_is_grey_and_ink_wash_desaturated(cv, portrait):
    sketch = _arr(cv.edit(portrait, style="pencil_sketch", strength=1.0).images[0])
    assert np.abs(sketch[..., 0] - sketch[..., 1]).mean() < 2
    ink = cv.edit(portrait, style="ink_wash", strength=1.0).images[0]
    assert (
        np.asarray(ink.convert("HSV"))[..., 1].mean()
        < np.asarray(portrait.convert("HSV"))[..., 1].mean() * 0.6
    )


def test_person_is_segmented_in_the_portrait_only(cv, portrait):
    mask = cv.person_mask(portrait)
    assert mask is not None and mask.shape == (300, 256)
    assert 0.2 < float((mask > 0.5).mean()) < 0.9
    assert mask[200, 128] > 0.5  # her chest, centre of the frame
    assert mask[10, 5] < 0.5  # the flag in the corner
    flat = Image.fromarray(np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (300, 1))).convert(
        "RGB"
    )
    assert cv.person_mask(flat) is None


def test_person_is_stylised_more_gently_than_the_background(cv, portrait):
    mask = cv.person_mask(portrait) > 0.5
    out = _arr(cv.edit(portrait, style="oil_painting", strength=0.8, seed=1).images[0])
    change = np.abs(out - _arr(portrait)).mean(axis=2)
    no_seg = OpenCVStylizeBackend(BackendSpec("opencv-stylize", options={"segment": False}))
    flat = _arr(no_seg.edit(portrait, style="oil_painting", strength=0.8, seed=1).images[0])
    flat_change = np.abs(flat - _arr(portrait)).mean(axis=2)
    assert change[mask].mean() < flat_change[mask].mean() * 0.8
    assert change[~mask].mean() == pytest.approx(flat_change[~mask].mean(), rel=0.15)


def test_style_from_prompt_keyword(cv, portrait):
    by_prompt = cv.edit(portrait, "变成素描", seed=2, strength=1.0).images[0]
    by_style = cv.edit(portrait, style="pencil_sketch", seed=2, strength=1.0).images[0]
    assert np.array_equal(_arr(by_prompt), _arr(by_style))


def test_generate_is_sized_deterministic_and_themed(cv):
    a = cv.generate("春节快乐 恭喜发财", width=180, height=320, seed=9).images[0]
    b = cv.generate("春节快乐 恭喜发财", width=180, height=320, seed=9).images[0]
    c = cv.generate("春节快乐 恭喜发财", width=180, height=320, seed=10).images[0]
    assert a.size == (180, 320)
    assert np.array_equal(_arr(a), _arr(b))
    assert not np.array_equal(_arr(a), _arr(c))
    red = _arr(a).reshape(-1, 3).mean(axis=0)
    assert red[0] > red[1] + 60 and red[0] > red[2] + 60
    night = _arr(cv.generate("中秋团圆", width=128, height=128, seed=1).images[0])
    sky = np.median(night.reshape(-1, 3), axis=0)  # the background, not the golden moon
    assert sky[2] > sky[0] + 10


def test_generate_draws_the_prompt_text(cv):
    # Same theme (birthday) and seed: the pictures differ where the title is set.
    long_img = cv.generate("生日快乐", width=256, height=456, seed=5).images[0]
    long, short = _arr(long_img), _arr(cv.generate("生日", width=256, height=456, seed=5).images[0])
    diff = np.abs(long - short).sum(axis=2)
    layout = plan_title("生日快乐", (256, 456), "birthday", 5)
    x0, y0, x1, y1 = (round(v) for v in layout.boxes[0])
    assert (diff[y0:y1, x0:x1] > 60).sum() > 200


def test_generate_with_style_and_several_images(cv):
    result = cv.generate("travel 旅行", width=128, height=96, seed=1, n=3, style="watercolor")
    assert [img.size for img in result.images] == [(128, 96)] * 3
    assert not np.array_equal(_arr(result.images[0]), _arr(result.images[1]))


def test_theme_keywords():
    rng = np.random.default_rng(0)
    assert pick_theme("祝你生日快乐", rng).key == "birthday"
    assert pick_theme("中秋节快乐", rng).key == "mid_autumn"
    assert pick_theme("Happy Valentine", rng).key == "love"
    assert pick_theme("5G 商务发布会", rng).key == "business"
    assert pick_theme("hello", rng).key == "default"


@pytest.mark.parametrize(
    "kwargs", [{"width": 5000, "height": 64}, {"width": 32, "height": 64}, {"n": 9}]
)
def test_opencv_bad_sizes_are_invalid_input(cv, kwargs):
    with pytest.raises(InvalidInput):
        cv.generate("x", **kwargs)
