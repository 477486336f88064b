"""What a query reads of a store, as values: article references, chunk records, layouts.

Kept apart from `index.store.snapshot` (which reads them out of SQLite) so that the types the
query path passes around stay small and free of the database.

Ids here (`ArticleRef.id`, `ChunkRecord.chunk_id`, `ChunkLayout.chunk_ids`...) are store
ids (`index.store.keys`): unique across the stores of one library, so the results of
several stores merge without collision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np


class ArticleRef(NamedTuple):
    """One article as a result refers to it: enough to cite it and to open it again.

    A named tuple, not a dataclass: every paragraph read on the query path carries one.
    """

    id: int
    """Store id of the article (`index.store.keys`): what `Store.article_paragraphs` takes."""
    key: str
    """Its path relative to the library folder (`file.jsonl#N` for JSONL): unique in a library."""
    path: str
    """Absolute path of the source file."""
    title: str
    source: str | None
    url: str | None
    published: str | None
    """ISO day, or None when the article gave no readable date."""


@dataclass(frozen=True)
class ChunkRecord:
    """A passage or sentence with the paragraph and article it cites."""

    chunk_id: int
    kind: str
    start: int
    end: int
    paragraph_id: int
    ordinal: int
    """0-based position of the paragraph in its article."""
    paragraph_text: str
    boilerplate: bool
    article: ArticleRef
    line: int | None = None
    """1-based line of the file where the paragraph starts, when known (`Paragraph.line`)."""
    page: int | None = None
    """1-based page of a PDF the paragraph is on."""

    @property
    def text(self) -> str:
        return self.paragraph_text[self.start : self.end]


class ParagraphEntry(NamedTuple):
    """What the query path keeps of one paragraph: its chunks' rows and what it cites.

    A named tuple, not a frozen dataclass: a question can read 300 of them from the
    database, and a frozen dataclass's `__init__` costs ~5x as much per instance.
    """

    rows: np.ndarray
    """(chunk id, paragraph id, is sentence, start, end) of each chunk, in text order."""
    text: str
    lowered: str | None
    """`text.lower()`, or None where lower-casing changes its length ("İ")."""
    boilerplate: bool
    ordinal: int
    article: ArticleRef
    line: int | None = None
    """1-based line of the file where the paragraph starts, when known."""
    page: int | None = None
    """1-based page of a PDF the paragraph is on."""


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

    @classmethod
    def of_entries(
        cls, paragraphs: Sequence[int], entries: Sequence[ParagraphEntry]
    ) -> ChunkLayout:
        """The layout of some paragraphs (ids ascending) from their entries."""
        if not entries:
            return cls.empty()
        table = np.concatenate([entry.rows for entry in entries])
        return cls(
            chunk_ids=table[:, 0],
            paragraph_ids=table[:, 1],
            is_sentence=table[:, 2].astype(bool),
            starts=table[:, 3],
            ends=table[:, 4],
            paragraph_of=np.repeat(np.arange(len(entries)), [len(e.rows) for e in entries]),
            paragraphs=tuple(paragraphs),
            entries=tuple(entries),
        )

    @classmethod
    def merged(cls, layouts: Sequence[ChunkLayout]) -> ChunkLayout:
        """One layout of the layouts of several stores (store ids never collide).

        Paragraph ids stay ascending because a store's number is the high part of its
        ids (`index.store.keys`): what a fan-out over stores needs to hand the ranking.
        """
        pairs = sorted(
            (
                (pid, entry)
                for layout in layouts
                for pid, entry in zip(layout.paragraphs, layout.entries, strict=True)
            ),
            key=lambda pair: pair[0],
        )
        return cls.of_entries([pid for pid, _ in pairs], [entry for _, entry in pairs])

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(e.text for e in self.entries)

    @property
    def boilerplate(self) -> np.ndarray:
        return np.array([e.boilerplate for e in self.entries], dtype=bool)

    def record(self, row: int) -> ChunkRecord:
        """The `ChunkRecord` of layout row `row`."""
        entry = self.entries[self.paragraph_of[row]]
        return ChunkRecord(
            chunk_id=int(self.chunk_ids[row]),
            kind="sentence" if self.is_sentence[row] else "passage",
            start=int(self.starts[row]),
            end=int(self.ends[row]),
            paragraph_id=int(self.paragraph_ids[row]),
            ordinal=entry.ordinal,
            paragraph_text=entry.text,
            boilerplate=entry.boilerplate,
            article=entry.article,
            line=entry.line,
            page=entry.page,
        )


@dataclass(frozen=True)
class IndexInfo:
    """What `qa index status` and the TUI status line show."""

    index_dir: Path
    generation: int
    model_id: str
    dim: int
    articles: int
    paragraphs: int
    passages: int
    sentences: int
    built_at: str
    size_bytes: int
    sources: tuple[str, ...]
    shards: int = 1
    """Stores of the library (`index.shards`); 1 for every folder built before shards."""


class ArticleCounts(NamedTuple):
    """Articles of a store in all, without a date, and without a source (for notices)."""

    total: int
    undated: int
    sourceless: int
