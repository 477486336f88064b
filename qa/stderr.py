"""The one writer of `qa`'s stderr: one-line messages, and the progress line between them.

On a terminal a build's progress is one line redrawn in place (`\\r`, erase line). Any
other text written while it is on screen would run on after it ("...embedding 245/12389
texts (5/s)qa: build interrupted"), so every message goes through `say`, which first
ends the progress line, and while progress shows, `progress_owns_stderr` routes every
other write to `sys.stderr` (a library's warning, a logging handler) through the same
check. Imported on the `qa ask` path: it imports nothing heavy.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from qa.terminal import visible

_ERASE_LINE = "\r\033[K"


class _Line:
    """Whether a progress line is on screen now, and on which stream."""

    def __init__(self) -> None:
        self.stream: TextIO | None = None

    def clear(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            stream.write(_ERASE_LINE)
            stream.flush()


_LINE = _Line()


def _real_stderr() -> TextIO:
    stream = sys.stderr
    return stream.real if isinstance(stream, _ClearingStream) else stream


def say(message: str) -> None:
    """`qa: MESSAGE` on a line of its own; the message is escaped (it names files)."""
    _LINE.clear()
    print(f"qa: {visible(message)}", file=_real_stderr(), flush=True)


def show_progress(text: str) -> None:
    """Redraw the progress line on a terminal (the caller says it is one)."""
    stream = _real_stderr()
    stream.write(f"{_ERASE_LINE}qa: {visible(text)}")
    stream.flush()
    _LINE.stream = stream


def end_progress() -> None:
    """Erase the progress line, if one shows, so that what follows starts a clean line."""
    _LINE.clear()


class _ClearingStream:
    """`sys.stderr` while progress shows: a write first ends the progress line."""

    def __init__(self, real: TextIO) -> None:
        self.real = real

    def write(self, text: str) -> int:
        _LINE.clear()
        return self.real.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class progress_owns_stderr:  # noqa: N801 - used as a function, in a `with`
    """While a build shows progress: nothing else on stderr lands on the progress line.

    The line is erased when the block ends, however it ends (an interrupt's message
    comes after it). A class, not `contextlib.contextmanager`: this module is imported
    by `qa --help`, which need not load contextlib.
    """

    def __enter__(self) -> None:
        self._previous = sys.stderr
        sys.stderr = _ClearingStream(self._previous)

    def __exit__(self, *exc_info: object) -> None:
        sys.stderr = self._previous
        _LINE.clear()
