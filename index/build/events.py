"""What a build yields: progress, the files it skips, and last its report.

The CLI turns these into a progress line, the TUI into a progress bar; `index.build.run`
re-exports them as the build's public API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from index.models import Skipped


@dataclass(frozen=True)
class BuildProgress:
    stage: str
    """'scanning', 'reading', 'embedding' or 'committing'."""
    articles_done: int = 0
    articles_total: int = 0
    passages_done: int = 0
    """Texts embedded so far in this build (passages and sentences)."""
    passages_total: int = 0
    rate: float = 0.0
    """Texts embedded per second."""
    eta_seconds: float | None = None


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    generation: int
    added: int
    updated: int
    removed: int
    unchanged: int
    articles: int
    passages: int
    sentences: int
    embedded: int
    """Texts embedded by this build; the rest reused stored vectors."""
    seconds: float
    skipped: tuple[Skipped, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())


BuildEvent = BuildProgress | Skipped | BuildReport
