"""A question's vector encoded on another thread while the same question's words are searched.

The model's forward pass (onnxruntime) and SQLite's full-text search both release the
GIL, so on two cores they overlap: a warm ask costs the longer of the two, not their
sum. Calling the `PendingVector` waits for the vector; an error raised while encoding
is raised there, in the caller's thread, as if the encode had run in it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np


class PendingVector:
    """The result of `encode()`, computed on a daemon thread started at construction."""

    def __init__(self, encode: Callable[[], np.ndarray]) -> None:
        self._encode = encode
        self._vector: np.ndarray | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        threading.Thread(target=self._run, name="qa-encode-question", daemon=True).start()

    def _run(self) -> None:
        try:
            self._vector = self._encode()
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            self._error = error
        finally:
            self._done.set()

    def __call__(self) -> np.ndarray:
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._vector is not None
        return self._vector
