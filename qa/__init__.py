"""Asking questions of an article library: retrieval, ranking, cited answers, evaluation.

The public API used by the CLI and the TUI. Importing it loads neither torch nor textual.

The names are re-exported lazily (PEP 562): `from qa import QAError` loads only the
module that defines it, so the TUI can draw its first frame before numpy, FAISS and the
build pipeline are imported (they come in with `Library`, in a worker).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.build.run import BuildProgress, BuildReport
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
    from index.store.snapshot import IndexInfo
    from qa.answer import Answer, Citation, Highlight, Hit
    from qa.library import Library, check_question, ensure_default_library
    from qa.retrieve import Filters

# Public name -> the module that defines it.
_HOMES = {
    "BuildProgress": "index.build.run",
    "BuildReport": "index.build.run",
    "BuildInterrupted": "index.errors",
    "BuildLocked": "index.errors",
    "IndexCorrupt": "index.errors",
    "IndexMissing": "index.errors",
    "IndexUnavailable": "index.errors",
    "ModelMismatch": "index.errors",
    "NoSpace": "index.errors",
    "QAError": "index.errors",
    "UsageError": "index.errors",
    "Skipped": "index.models",
    "IndexInfo": "index.store.snapshot",
    "Answer": "qa.answer",
    "Citation": "qa.answer",
    "Highlight": "qa.answer",
    "Hit": "qa.answer",
    "Library": "qa.library",
    "check_question": "qa.library",
    "ensure_default_library": "qa.library",
    "Filters": "qa.retrieve",
}

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


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # cached: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
