"""The torch backend: sentence-transformers on CPU, the reference and the fallback.

Its own module so that the ONNX export (which runs this model once to trace it) and the
embedder both import it, and nothing imports back; torch loads only when one is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedding.model import set_runtime_environment


class TorchBackend:
    """sentence-transformers on CPU: the reference implementation and the fallback."""

    def __init__(self, model_path: Path) -> None:
        set_runtime_environment()
        import warnings

        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
