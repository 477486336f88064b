"""What a query reads of an index, as values: chunk records and paragraph layouts.

Kept apart from `index.store.snapshot` (which reads them out of SQLite) so that the types the
query path passes around stay small and free of the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class ChunkRecord:
    """A passage or sentence with the paragraph and article it cites."""

    chunk_id: int
    kind: str
    start: int
    end: int
    paragraph_id: int
    ordinal: int
    paragraph_text: str
    boilerplate: bool
    article_id: int
    article_key: str
    article_path: str
    title: str
    source: str | None
    url: str | None
    published: str | None

    @property
    def text(self) -> str:
        return self.paragraph_text[self.start : self.end]


class ParagraphEntry(NamedTuple):
    """What the query path keeps of one paragraph: its chunks' rows and its citation.

    A named tuple, not a frozen dataclass: a question can read 300 of them from the
    database, and a frozen dataclass's `__init__` costs ~5x as much per instance.
    """

    rows: np.ndarray
    """(chunk id, paragraph id, is sentence, start, end) of each chunk, in text order."""
    text: str
    lowered: str | None
    """`text.lower()`, or None where lower-casing changes its length ("İ")."""
    boilerplate: bool
    citation: tuple
    """(ordinal, article id, key, path, title, source, url, published)."""


@dataclass(frozen=True)
class ChunkLayout:
    """The chunks of some paragraphs as aligned arrays (one row a chunk), with their texts.

    Rows are ordered by paragraph id, then start, so a paragraph's chunks are contiguous.
    """

    chunk_ids: np.ndarray
    paragraph_ids: np.ndarray
    is_sentence: np.ndarray
    """True for sentence chunks, False for passages."""
    starts: np.ndarray
    ends: np.ndarray
    """Character span of each chunk inside its paragraph."""
    paragraph_of: np.ndarray
    """Index into `paragraphs` (and `entries`) of each chunk's paragraph."""
    paragraphs: tuple[int, ...]
    """The paragraph ids found, ascending."""
    entries: tuple[ParagraphEntry, ...]
    """Each paragraph of `paragraphs`."""

    @classmethod
    def empty(cls) -> ChunkLayout:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none.astype(bool), none, none, none, (), ())

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(e.text for e in self.entries)

    @property
    def boilerplate(self) -> np.ndarray:
        return np.array([e.boilerplate for e in self.entries], dtype=bool)

    def record(self, row: int) -> ChunkRecord:
        """The `ChunkRecord` of layout row `row`."""
        entry = self.entries[self.paragraph_of[row]]
        ordinal, article_id, key, path, title, source, url, published = entry.citation
        return ChunkRecord(
            chunk_id=int(self.chunk_ids[row]),
            kind="sentence" if self.is_sentence[row] else "passage",
            start=int(self.starts[row]),
            end=int(self.ends[row]),
            paragraph_id=int(self.paragraph_ids[row]),
            ordinal=ordinal,
            paragraph_text=entry.text,
            boilerplate=entry.boilerplate,
            article_id=article_id,
            article_key=key,
            article_path=path,
            title=title,
            source=source,
            url=url,
            published=published,
        )
