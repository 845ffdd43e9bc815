"""Kokoro's native voices from the kokoro-js tarball: verified, assembled once, heard back."""

import hashlib
import io
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest

from suite.ai import voice_bundle
from suite.ai.errors import BackendUnavailable

ROOT = Path(__file__).resolve().parents[2]


def _tarball(path: Path, styles: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in styles.items():
            info = tarfile.TarInfo(f"package/voices/{name}.bin")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _style(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(510 * 256).astype("<f4").tobytes()


@pytest.fixture
def japanese(tmp_path) -> Path:
    path = tmp_path / "voices_ja.npz"
    np.savez(path, jf_alpha=np.zeros(voice_bundle.STYLE_SHAPE, np.float32))
    return path


def test_the_offered_voices_are_joined_with_the_japanese_ones_once(tmp_path, settings, japanese):
    settings.AI_CACHE_DIR = tmp_path / "cache"
    styles = {name: _style(i) for i, name in enumerate(voice_bundle.OFFERED)}
    styles["zf_xiaoni"] = _style(99)  # in the package, not offered
    sha = _tarball(tmp_path / "k.tgz", styles)

    path = voice_bundle.ensure_voices(japanese, tarball=tmp_path / "k.tgz", sha256=sha)
    with np.load(path) as voices:
        assert set(voices.files) == set(voice_bundle.OFFERED) | {"jf_alpha"}
        expected = np.frombuffer(styles["zf_xiaobei"], "<f4").reshape(voice_bundle.STYLE_SHAPE)
        assert np.array_equal(voices["zf_xiaobei"], expected)
    mtime = path.stat().st_mtime_ns
    (tmp_path / "k.tgz").unlink()  # assembled: the tarball is not read again
    assert voice_bundle.ensure_voices(japanese, tarball=tmp_path / "k.tgz", sha256=sha) == path
    assert path.stat().st_mtime_ns == mtime


def test_a_tarball_with_another_hash_is_refused(tmp_path, settings, japanese):
    settings.AI_CACHE_DIR = tmp_path / "cache"
    _tarball(tmp_path / "k.tgz", {name: _style(1) for name in voice_bundle.OFFERED})
    with pytest.raises(BackendUnavailable, match="sha256"):
        voice_bundle.ensure_voices(japanese, tarball=tmp_path / "k.tgz")
    assert not (tmp_path / "cache" / "kokoro" / voice_bundle.ASSEMBLED_NAME).exists()


@pytest.mark.parametrize(
    ("styles", "message"),
    [
        ({"zf_xiaobei": _style(1)[:-4]}, "not a Kokoro voice style"),
        ({"zf_xiaobei": np.full(510 * 256, np.nan, "<f4").tobytes()}, "not a Kokoro voice style"),
        ({}, "missing"),
    ],
)
def test_a_style_of_the_wrong_size_or_values_or_absent_is_refused(tmp_path, styles, message):
    sha = _tarball(tmp_path / "k.tgz", styles)
    with pytest.raises(BackendUnavailable, match=message):
        voice_bundle.read_styles(tmp_path / "k.tgz", ["zf_xiaobei"], sha256=sha)


def test_a_missing_tarball_says_how_to_get_it(tmp_path):
    with pytest.raises(BackendUnavailable, match=re.escape(voice_bundle.PACKAGE)):
        voice_bundle.read_styles(tmp_path / "absent.tgz", ["zf_xiaobei"])


def test_the_makefile_pins_the_same_tarball():
    makefile = (ROOT / "Makefile").read_text()
    assert f"KOKORO_JS_SHA256 := {voice_bundle.TARBALL_SHA256}" in makefile
    assert f"KOKORO_JS := {voice_bundle.PACKAGE}" in makefile
    assert voice_bundle.TARBALL_NAME in makefile
