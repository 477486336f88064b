"""What the app knows about its library and about a running rebuild, as frozen values.

The app holds one of each in a reactive attribute; the status line and the rebuild
screen watch them. Replacing the value (never mutating it) is what triggers a redraw,
and keeps the workers' view and the UI's view from drifting apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from index.plural import counted

if TYPE_CHECKING:
    from qa import BuildProgress, BuildReport, IndexInfo, Skipped

# Library phases, in the order a normal start goes through them.
OPENING, INDEXING, LOADING, READY, FAILED = "opening", "indexing", "loading", "ready", "failed"


@dataclass(frozen=True)
class LibraryState:
    index_dir: Path | None = None
    phase: str = OPENING
    info: IndexInfo | None = None
    error: str | None = None
    """One line: why the library cannot answer (no index, other model, ...)."""
    detail: str = ""
    """Progress of the current phase, e.g. of the first-use build."""
    sample: bool = False
    """The library is the bundled sample (`qa.first_use.is_sample_library`)."""

    @property
    def settled(self) -> bool:
        """Loading is over, one way or the other: a waiting question can go ahead."""
        return self.phase in (READY, FAILED)

    def to(self, phase: str, **changes: object) -> LibraryState:
        changes.setdefault("detail", "")
        return replace(self, phase=phase, **changes)  # type: ignore[arg-type]  # changes are LibraryState fields, typed object


@dataclass(frozen=True)
class BuildState:
    running: bool = True
    progress: BuildProgress | None = None
    skipped: tuple[Skipped, ...] = field(default=())
    report: BuildReport | None = None
    error: str | None = None
    cancelling: bool = False
    cancelled: bool = False

    def fraction(self) -> float | None:
        """Share of the work done, or None while it is not known yet."""
        p = self.progress
        if p is None:
            return None
        if p.stage == "embedding" and p.passages_total:
            return p.passages_done / p.passages_total
        if p.stage == "reading" and p.articles_total:
            # Reading is quick next to embedding: count it as the first tenth.
            return 0.1 * p.articles_done / p.articles_total
        return None

    def summary(self) -> str:
        """One line for the status bar and the rebuild screen."""
        if self.error:
            return f"rebuild failed: {self.error}"
        if self.cancelled:
            return "rebuild cancelled; the previous index is kept"
        if self.report is not None:
            r = self.report
            return (
                f"rebuilt: {counted(r.articles, 'article')}, {counted(r.passages, 'passage')} "
                f"({r.added} added, {r.updated} updated, {r.removed} removed) "
                f"in {r.seconds:.1f}s"
            )
        if self.cancelling:
            return "cancelling..."
        p = self.progress
        if p is None:
            return "starting..."
        if p.stage == "embedding" and p.passages_total:
            eta = f", ETA {p.eta_seconds:.0f}s" if p.eta_seconds is not None else ""
            return (
                f"embedding: articles {p.articles_done}/{p.articles_total}, "
                f"passages {p.passages_done}/{p.passages_total}, {p.rate:.0f}/s{eta}"
            )
        if p.stage == "reading" and p.articles_total:
            return f"reading: articles {p.articles_done}/{p.articles_total}"
        return f"{p.stage}..."
