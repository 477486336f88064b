"""A question's vector is encoded while its words are searched, with the same answer.

The model's pass and SQLite's full-text search both release the GIL, so `Library.ask`
runs them at once (`qa.pending`). The store and the embedder below are the real ones,
wrapped only to record the order in which the two happen.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from library_fixtures import build, embedder, make_library

from index.errors import QAError
from index.store.snapshot import IndexSnapshot
from qa.library import Library

QUESTION = "What did Peskov say about the reserve?"
WAIT = 30.0


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("overlap")
    build(root / "index", make_library(root / "articles"))
    return root / "index"


class RecordingStore:
    """The real snapshot; says when the word search has started."""

    def __init__(self, snapshot: IndexSnapshot, words_searched: threading.Event) -> None:
        self._snapshot = snapshot
        self._words_searched = words_searched

    def lexical_search(self, *args: Any, **kwargs: Any) -> list[tuple[int, float]]:
        self._words_searched.set()
        return self._snapshot.lexical_search(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._snapshot, name)


class WaitingEmbedder:
    """The real model, encoding only once the words are being searched (or failing)."""

    def __init__(self, words_searched: threading.Event, error: Exception | None = None) -> None:
        self._real = embedder()
        self._words_searched = words_searched
        self._error = error
        self.model_id = self._real.model_id
        self.dim = self._real.dim
        self.encode_threads: list[str] = []

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.encode_threads.append(threading.current_thread().name)
        if not self._words_searched.wait(WAIT):
            raise AssertionError("the question was encoded before its words were searched")
        if self._error is not None:
            raise self._error
        return self._real.encode(texts, batch_size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _library(index_dir: Path, model: WaitingEmbedder, words_searched: threading.Event) -> Library:
    def open_store(folder: Path, model_id: str) -> Any:
        return RecordingStore(IndexSnapshot.open(folder, model_id), words_searched)

    return Library(index_dir, model, open_store)  # type: ignore[arg-type]


def test_the_words_are_searched_while_the_question_is_encoded(index_dir: Path) -> None:
    words_searched = threading.Event()
    model = WaitingEmbedder(words_searched)
    overlapped = _library(index_dir, model, words_searched).ask(QUESTION, k=3)
    assert model.encode_threads == ["qa-encode-question"]
    # Same answer as asking with the vector computed first, in the caller's thread.
    plain = Library(index_dir, embedder())
    vector = embedder().encode([QUESTION])[0]
    before = plain.ask(QUESTION, k=3, query_vector=vector)
    assert [h.citation for h in overlapped.hits] == [h.citation for h in before.hits]
    assert [h.score for h in overlapped.hits] == pytest.approx([h.score for h in before.hits])
    assert [q.text for q in overlapped.quotes] == [q.text for q in before.quotes]
    assert overlapped.quotes, "the Peskov question lists his quotes"


def test_an_error_while_encoding_reaches_the_asker_as_itself(index_dir: Path) -> None:
    words_searched = threading.Event()
    model = WaitingEmbedder(words_searched, error=QAError("model file unreadable"))
    with pytest.raises(QAError, match="model file unreadable"):
        _library(index_dir, model, words_searched).ask(QUESTION, k=3)
