"""Asking questions of an article library: retrieval, ranking, cited answers, evaluation.

The public API used by the CLI and the TUI. Importing it loads neither torch nor textual.
"""

from __future__ import annotations

from index.build import BuildProgress, BuildReport
from index.errors import (
    BuildInterrupted,
    BuildLocked,
    IndexCorrupt,
    IndexMissing,
    IndexUnavailable,
    ModelMismatch,
    NoSpace,
    QAError,
    UsageError,
)
from index.models import Skipped
from index.store import IndexInfo
from qa.answer import Answer, Citation, Highlight, Hit
from qa.library import Library, check_question, ensure_default_library
from qa.retrieve import Filters

__all__ = [
    "Answer",
    "BuildInterrupted",
    "BuildLocked",
    "BuildProgress",
    "BuildReport",
    "Citation",
    "Filters",
    "Highlight",
    "Hit",
    "IndexCorrupt",
    "IndexInfo",
    "IndexMissing",
    "IndexUnavailable",
    "Library",
    "ModelMismatch",
    "NoSpace",
    "QAError",
    "Skipped",
    "UsageError",
    "check_question",
    "ensure_default_library",
]
