"""Messages that thread workers post back to the UI thread.

Workers never touch widgets: they post one of these (posting is thread-safe) and the
handler, running on the UI thread, updates the screen. Each says what happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from qa import Answer, BuildProgress, BuildReport, IndexInfo, Library, Skipped


class Note(Message):
    """Something the core wants the user to know (e.g. 'exporting the model once')."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class LibraryOpened(Message):
    """The library is open (its model not loaded yet): questions can go to it from now on."""

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library


class LibraryChanged(Message):
    """The library moved on: indexing on first use, loading, ready or failed."""

    def __init__(
        self,
        phase: str,
        info: IndexInfo | None = None,
        error: str | None = None,
        detail: str = "",
        sample: bool = False,
    ) -> None:
        super().__init__()
        self.phase = phase
        self.info = info
        self.error = error
        self.detail = detail
        self.sample = sample
        """The library is the bundled sample: hints may name its article."""


class AnswerReady(Message):
    def __init__(self, turn: int, answer: Answer) -> None:
        super().__init__()
        self.turn = turn
        self.answer = answer


class AnswerFailed(Message):
    def __init__(self, turn: int, error: str) -> None:
        super().__init__()
        self.turn = turn
        self.error = error


class RebuildProgress(Message):
    """A build event: progress, or a file that could not be read."""

    def __init__(self, event: BuildProgress | Skipped) -> None:
        super().__init__()
        self.event = event


class RebuildFinished(Message):
    """The build committed (`report`), was cancelled, or failed (`error`)."""

    def __init__(
        self,
        report: BuildReport | None = None,
        info: IndexInfo | None = None,
        error: str | None = None,
        cancelled: bool = False,
        sample: bool = False,
    ) -> None:
        super().__init__()
        self.report = report
        self.info = info
        self.error = error
        self.cancelled = cancelled
        self.sample = sample
