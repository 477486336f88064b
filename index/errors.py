"""Typed errors shared by the index and everything above it.

Each error carries the process exit code the `qa` command maps it to, so that the CLI
and the TUI report every failure as one line without knowing where it came from.
"""

from __future__ import annotations


class QAError(Exception):
    """A failure the user can act on; its message is one line naming what and where."""

    exit_code: int = 1


class UsageError(QAError):
    """The request itself is wrong: a bad flag, an empty question, an unknown article."""

    exit_code = 2


class IndexUnavailable(QAError):
    """There is no usable index: missing, corrupt, built by another model, or too new."""

    exit_code = 3


class IndexMissing(IndexUnavailable):
    pass


class IndexCorrupt(IndexUnavailable):
    pass


class ModelMismatch(IndexUnavailable):
    pass


class SchemaTooNew(IndexUnavailable):
    pass


class SchemaTooOld(IndexUnavailable):
    """The index predates this qa's schema and no reader may answer it until a build."""


class BuildLocked(QAError):
    """Another process holds the writer lock of this index."""


class NoSpace(QAError):
    """The disk filled up during a build; the previous index is kept."""


class BuildInterrupted(QAError):
    """The build was cancelled (Ctrl-C, SIGTERM, or a cancel from the TUI)."""

    exit_code = 130


class UnreadableFile(QAError):
    """One input file cannot be indexed; the build reports it and goes on."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
