"""The torch backend: sentence-transformers on CPU, the reference and the fallback.

Its own module so that the ONNX export (which runs this model once to trace it) and the
embedder both import it, and nothing imports back; torch loads only when one is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedding.model import set_runtime_environment
from index.embedding.pooling import CharSpan, pool_ranges, token_ranges


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

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[CharSpan]], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As `OnnxBackend.encode_spans`: the parts pooled from each text's token states."""
        vectors = self.encode(texts, batch_size)
        parts: list[np.ndarray] = [np.empty((0, 0), dtype=np.float32)] * len(texts)
        wanted = [i for i, part in enumerate(spans) if part]
        if not wanted:
            return vectors, parts
        states = self.model.encode(
            [texts[i] for i in wanted],
            batch_size=batch_size,
            output_value="token_embeddings",
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        pieces = self.model.tokenizer(
            [texts[i] for i in wanted],
            truncation=True,
            max_length=self.model.max_seq_length,
            return_offsets_mapping=True,
            return_special_tokens_mask=True,
        )
        for row, i in enumerate(wanted):
            ranges = token_ranges(
                pieces["offset_mapping"][row], pieces["special_tokens_mask"][row], spans[i]
            )
            token_states = np.asarray(states[row].float().cpu().numpy(), dtype=np.float32)
            parts[i] = pool_ranges(token_states, ranges, token_states.mean(axis=0))
        return vectors, parts
