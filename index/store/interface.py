"""`Store`: what asking needs of one store, and nothing about how it keeps it.

`IndexSnapshot` (one committed generation of an index folder: SQLite + FAISS) is the one
implementation; `qa.library.Library` and `qa.retrieve` ask through this protocol only.
Ids in and out are store ids (`index.store.keys`), unique across the stores of one
library, so a fan-out over several stores can implement this same protocol by sending
each call to every store, or to the store an id names (`index.store.keys.store_of`), and
joining the answers (`ChunkLayout.merged`), with the ranking in `qa` unchanged.

Restrictions come as an `ArticleFilter` value; each store turns it into its own query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

    from index.store.filters import ArticleFilter
    from index.store.quotes import QuoteRecord
    from index.store.records import ArticleCounts, ChunkLayout, IndexInfo


class Store(Protocol):
    """One store's answers to the questions the query path asks, for one generation."""

    def is_current(self) -> bool:
        """False once a newer generation is committed: the caller should reopen."""
        ...

    def close(self) -> None: ...

    def info(self) -> IndexInfo:
        """What status shows: counts, model, size, sources."""
        ...

    def passage_count(self) -> int:
        """Passages stored: the document count of BM25's IDF."""
        ...

    def document_frequencies(self, words: Sequence[str]) -> list[int]:
        """Passages whose text holds each of `words` (stemmed as the lexical search does)."""
        ...

    def dense_search(
        self, queries: np.ndarray, k: int, where: ArticleFilter | None = None
    ) -> list[list[tuple[int, float]]]:
        """For each query vector, the top-k (chunk id, inner product), best first."""
        ...

    def lexical_search(
        self, match: str, k: int, where: ArticleFilter | None = None
    ) -> list[tuple[int, float]]:
        """Top-k (passage chunk id, BM25) for an FTS5 MATCH expression, best first."""
        ...

    def paragraphs_of(self, chunk_ids: list[int]) -> dict[int, int]:
        """The paragraph id of each of some chunks (those the store holds)."""
        ...

    def chunk_layout(self, paragraph_ids: list[int]) -> ChunkLayout:
        """Where every chunk of some paragraphs lies, with the paragraphs' texts and articles."""
        ...

    def vectors_of(self, chunk_ids: list[int]) -> np.ndarray:
        """Stored vectors of chunks, one row each, in the order asked."""
        ...

    def article_paragraphs(self, article_id: int) -> list[tuple[int, str, bool]]:
        """All paragraphs of one article as (ordinal, text, boilerplate), for the reader."""
        ...

    def count_articles(self, where: ArticleFilter | None = None) -> int:
        """Articles a filter keeps (all of them without one)."""
        ...

    def article_counts(self) -> ArticleCounts:
        """Articles in all, undated and without a source: why a filter kept none."""
        ...

    def quotes_by(self, speaker: str, where: ArticleFilter | None = None) -> list[QuoteRecord]:
        """Quotes of whoever `speaker` names (a name, a last name, or a phrase their name
        or a mention of them holds: `index.store.quotes.speaker_quotes`), among `where`'s
        articles, newest first; none from an index built before quotes were stored."""
        ...
