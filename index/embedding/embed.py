"""The embedder: turns passage and question text into L2-normalised float32 vectors.

Everything above the index codes against the small `Embedder` protocol. What stands behind
it is chosen here: an ONNX export of the model run by onnxruntime (fast to load, no torch
at question time) or sentence-transformers on torch (the reference, and the fallback when
the export is impossible). Loading is lazy so that `import index`, `qa --help` and opening
a library stay sub-second; the heavy libraries arrive on `warm()` or the first `encode()`.

The model folder, its identity and tokenizer are `index.embedding.model`; the backends are
`onnx_embed` and `torch_backend`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.embedding.model import (
    ModelSpec,
    load_tokenizer,
    model_identity,
    read_model_spec,
    resolve_model_path,
)
from index.embedding.pooling import CharSpan
from index.embedding.torch_backend import TorchBackend
from index.errors import QAError, UsageError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from index.models import Embedder  # types only: asking never loads index.models

BACKENDS = ("auto", "onnx", "torch")
COUNTS_KEPT = 20_000
"""Texts whose word-piece counts are remembered: a build counts each passage when it
splits the paragraph and again when it hands the passage to the model (for the ETA)."""
EXPORT_NOTICE = "exporting the model to ONNX once; cached for next time"


class EncoderBackend(Protocol):
    """A loaded model: what `LazyEmbedder` delegates `encode` to."""

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[CharSpan]], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


class LazyEmbedder:
    """An `Embedder` that reads configs now and loads the model on first need."""

    def __init__(
        self, spec: ModelSpec, backend: str, notify: Callable[[str], None] | None = None
    ) -> None:
        self.spec = spec
        self.model_path = str(spec.path)
        self.dim = spec.dim
        self.max_tokens = spec.max_seq_length - 2
        self.requested_backend = backend
        self._notify = notify or (lambda message: None)
        self._model_id: str | None = None
        self._loaded: EncoderBackend | None = None
        self._loaded_kind: str | None = None
        self._counter: Tokenizer | None = None
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        if self._model_id is None:
            self._model_id = model_identity(self.spec.path)
        return self._model_id

    @property
    def backend(self) -> str:
        """The backend in use; before loading, the one planned ("auto" plans ONNX)."""
        if self._loaded_kind is not None:
            return self._loaded_kind
        if self.requested_backend == "torch" or (
            self.requested_backend == "auto" and self.spec.onnx_problem
        ):
            return "torch"
        return "onnx"

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def warm(self) -> None:
        with self._lock:
            if self._loaded is None:
                self._loaded, self._loaded_kind = self._load()

    def _load(self) -> tuple[EncoderBackend, str]:
        if self.requested_backend == "torch":
            return TorchBackend(self.spec.path), "torch"
        from index.embedding import onnx_embed, onnx_export

        try:
            # Checked before the cache: a folder with the same weights but another pooling
            # shares the model_id, and must not be served by that folder's export.
            if self.spec.onnx_problem:
                raise QAError(self.spec.onnx_problem)
            export = onnx_export.cached_export(self.spec, self.model_id)
            if export is None:
                self._notify(EXPORT_NOTICE)
                export = onnx_export.export_onnx(self.spec, self.model_id)
            return onnx_embed.OnnxBackend(export, self.spec), "onnx"
        except Exception as exc:  # noqa: BLE001 - any export failure has the same remedy
            reason = " ".join(str(exc).split()) or type(exc).__name__
            if self.requested_backend == "onnx":
                raise QAError(f"ONNX backend unavailable for {self.model_path}: {reason}") from exc
            self._notify(f"ONNX export failed ({reason}); using sentence-transformers")
            return TorchBackend(self.spec.path), "torch"

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.warm()
        assert self._loaded is not None
        vectors = self._loaded.encode(texts, max(1, batch_size))
        if vectors.shape != (len(texts), self.dim):
            raise QAError(
                f"model {self.model_path} returned vectors of shape {vectors.shape}, "
                f"expected ({len(texts)}, {self.dim})"
            )
        return vectors

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[CharSpan]], batch_size: int = 64
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of `texts` and, from the same pass, of each text's character `spans`
        (mean of their word pieces' states): parts of a text cost no encode of their own."""
        if len(spans) != len(texts):
            raise ValueError(f"{len(texts)} texts but spans for {len(spans)}")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32), []
        self.warm()
        assert self._loaded is not None
        vectors, parts = self._loaded.encode_spans(texts, spans, max(1, batch_size))
        if vectors.shape != (len(texts), self.dim):
            raise QAError(
                f"model {self.model_path} returned vectors of shape {vectors.shape}, "
                f"expected ({len(texts)}, {self.dim})"
            )
        return vectors, parts

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        counts = [self._counts.get(text) for text in texts]
        missing = [text for text, count in zip(texts, counts, strict=True) if count is None]
        if not missing:
            return [count for count in counts if count is not None]
        if self._counter is None:
            self._counter = load_tokenizer(self.spec.path)
        encodings = self._counter.encode_batch(missing, add_special_tokens=False)
        fresh = [len(encoding.ids) for encoding in encodings]
        if len(self._counts) + len(fresh) > COUNTS_KEPT:
            self._counts.clear()
        self._counts.update(zip(missing, fresh, strict=True))
        filled = iter(fresh)
        return [count if count is not None else next(filled) for count in counts]

    def __repr__(self) -> str:
        return f"LazyEmbedder({self.model_path!r}, backend={self.backend!r})"


def load_embedder(
    model: str | Path | None = None,
    backend: str = "auto",
    notify: Callable[[str], None] | None = None,
) -> Embedder:
    """An embedder for `model` (see `resolve_model_path`); returns at once, loads nothing.

    backend: "torch" (sentence-transformers), "onnx" (onnxruntime on a cached export, made
    on first use) or "auto" (ONNX, falling back to torch when the export is impossible).
    `notify` hears one-line messages about slow or degraded loading.
    """
    if backend not in BACKENDS:
        raise UsageError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    spec = read_model_spec(resolve_model_path(model))
    if backend == "onnx" and spec.onnx_problem:
        raise UsageError(f"ONNX backend cannot run {spec.path}: {spec.onnx_problem}")
    return LazyEmbedder(spec, backend, notify)
