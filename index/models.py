"""Domain values of the article library, as frozen dataclasses.

Readers produce `Article`s with `Paragraph`s; the passage and sentence splitters turn a
paragraph into `Span`s (character ranges inside the paragraph text) that get embedded.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Paragraph:
    ordinal: int
    """0-based block (or line) ordinal in the source file: what citations and eval gold use."""
    text: str
    """The paragraph text, hard-wrapped lines joined with single spaces."""
    boilerplate: bool = False
    """Newsletter/donation appeal or page furniture: kept and citable, ranked below news."""


@dataclass(frozen=True, slots=True)
class Article:
    key: str
    """Stable identity inside the library: the path relative to its source folder, with
    `#N` appended for the N-th (0-based) article of a `.jsonl` file."""
    path: str
    """Absolute path of the file it was read from."""
    title: str
    paragraphs: tuple[Paragraph, ...]
    source: str | None = None
    url: str | None = None
    published: str | None = None
    """ISO date (YYYY-MM-DD) when known."""
    author: str | None = None
    notes: tuple[str, ...] = field(default=())
    """Things the reader had to work around (e.g. "decoded as cp1252"), for the build report."""


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    """Character range [start, end) inside the paragraph text."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file the build could not index, with the reason shown in the build report."""

    path: str
    reason: str
