"""Questions from a pipe, in batches of whatever has already arrived.

`qa ask -` encodes many questions in one model call (one ONNX run for 64 questions
costs little more than for one), so it wants every line the pipe already holds. But a
question typed, or written by a program that waits for each answer, must be answered
before the next one arrives. So a batch is: wait for one line, then take the lines that
are already readable without waiting (`select` with a zero timeout), at most
`MAX_BATCH`. A file or a fast producer gives full batches; a slow one gives batches of
one, answered as soon as they are complete.

`encoded_ahead` reads and encodes on a worker thread, one batch ahead of the answers:
onnxruntime and the tokenizer release the GIL, so on two cores the next batch is
encoded while the current one is searched (the search is mostly Python).
"""

from __future__ import annotations

import codecs
import io
import os
import queue
import select
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MAX_BATCH = 64
"""Lines per batch at most: the embedder's batch size."""
READ_BYTES = 1 << 16
AHEAD = 2
"""Batches read and encoded ahead of the one being answered, at most."""


@dataclass(frozen=True)
class InputLine:
    """One line of input, decoded, without its line ending."""

    number: int
    """1-based line number, as an error message names it."""
    text: str
    """The line's text ("" when it could not be decoded)."""
    problem: str | None = None
    """Why the line is unusable (not valid in the input's encoding), else None."""


def line_batches(stream: IO[str], max_batch: int = MAX_BATCH) -> Iterator[list[InputLine]]:
    """Batches of `stream`'s lines, each yielded as soon as it is complete (see module)."""
    encoding = codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        fd = None
    if fd is None:
        # No descriptor to poll (a StringIO standing in for stdin): one line at a time.
        for number, line in enumerate(stream, start=1):
            yield [InputLine(number, line.rstrip("\r\n"))]
        return
    lines = _raw_lines(fd, max_batch)
    number = 0
    for raw_batch in lines:
        batch = []
        for raw in raw_batch:
            number += 1
            batch.append(_decode(number, raw, encoding))
        yield batch


def _decode(number: int, raw: bytes, encoding: str) -> InputLine:
    raw = raw[:-1] if raw.endswith(b"\r") else raw
    try:
        return InputLine(number, raw.decode(encoding))
    except UnicodeDecodeError:
        return InputLine(number, "", f"not valid {encoding} text")


def _raw_lines(fd: int, max_batch: int) -> Iterator[list[bytes]]:
    pending = b""
    at_end = False
    while True:
        if pending.count(b"\n") == 0 and not at_end:
            chunk = os.read(fd, READ_BYTES)  # blocks until a line (or the end) arrives
            at_end = not chunk
            pending += chunk
            continue
        while not at_end and pending.count(b"\n") < max_batch and _readable(fd):
            chunk = os.read(fd, READ_BYTES)
            at_end = not chunk
            pending += chunk
        parts = pending.split(b"\n")
        complete, rest = parts[:-1], parts[-1]
        if at_end and rest:
            # The last line needs no line ending.
            complete, rest = [*complete, rest], b""
        if not complete:
            return
        batch, leftover = complete[:max_batch], complete[max_batch:]
        pending = b"".join(line + b"\n" for line in leftover) + rest
        yield batch


def _readable(fd: int) -> bool:
    try:
        ready, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(ready)


Encoded = tuple[list[InputLine], dict[int, "np.ndarray"]]


def encoded_ahead(
    batches: Iterator[list[InputLine]],
    encode: Callable[[Sequence[str]], np.ndarray],
    wanted: Callable[[str], bool],
) -> Iterator[Encoded]:
    """Each batch's non-blank lines with the vectors of the lines `wanted` accepts (by
    line number), read and encoded by a worker thread up to `AHEAD` batches early.

    The worker's errors (an unreadable stdin, a model that fails) are raised here, in
    the caller's thread, in their turn.
    """
    handoff: queue.Queue[Encoded | BaseException | None] = queue.Queue(maxsize=AHEAD)

    def work() -> None:
        try:
            for batch in batches:
                lines = [line for line in batch if line.problem or line.text.strip()]
                asked = [line for line in lines if line.problem is None and wanted(line.text)]
                vectors: np.ndarray | list[np.ndarray] = (
                    encode([line.text for line in asked]) if asked else []
                )
                handoff.put((lines, {a.number: v for a, v in zip(asked, vectors, strict=True)}))
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            handoff.put(error)
            return
        handoff.put(None)

    # A daemon: if the caller stops early (a closed pipe), the process still exits.
    threading.Thread(target=work, name="qa-encode-ahead", daemon=True).start()
    while (item := handoff.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item
