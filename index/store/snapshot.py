"""Read side of an index folder: one committed generation, pinned for as long as it is used.

`IndexSnapshot.open` starts a SQLite read transaction (WAL: it never blocks a writer and
never sees half a build), reads `meta`, and loads the vector file that `meta` names,
checking its checksum and count, and recomputes the database's content digest
(`index.store.schema.check_content`), so damage on disk is refused before anything is answered.
Everything the snapshot answers comes from that one generation; `is_current()` tells
the caller when a newer one has been committed.

It implements `index.store.interface.Store`, answering with store ids
(`index.store.keys`): opened as store `n` of a library, its ids never collide with
another store's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.errors import IndexCorrupt, IndexUnavailable, ModelMismatch
from index.store.dbfiles import load_damage
from index.store.filters import ArticleFilter
from index.store.keys import ROW_MASK, store_base, store_of
from index.store.places import place_columns, place_or_none
from index.store.queries import (
    ARTICLE_COUNTS_SQL,
    CHUNKS_OF_ARTICLES,
    LEXICAL_ORDER,
    LEXICAL_SQL,
    article_condition,
)
from index.store.quotes import QuoteRecord, has_quotes, speaker_quotes
from index.store.records import ArticleCounts, ArticleRef, ChunkLayout, ParagraphEntry

# Re-exported (the `x as x` form): `qa` names it from here.
from index.store.records import IndexInfo as IndexInfo
from index.store.schema import (
    check_content,
    check_meta,
    committed_meta,
    connect,
    open_database,
    read_meta,
)
from index.store.term_stats import PhrasePostings, fts_totals, phrase_postings
from index.store.vector_delta import load_vector_set

READ_MMAP_BYTES = 1 << 34
_FREQUENCIES_KEPT = 100_000
"""Document frequencies remembered per snapshot (a few MB at most)."""

_LAYOUTS_KEPT = 20_000
"""Paragraph layouts remembered per snapshot (~1 KB each)."""


class IndexSnapshot:
    """One committed generation of an index, safe to query while builds run."""

    def __init__(
        self, index_dir: Path, conn: sqlite3.Connection, meta: dict[str, str], store: int = 0
    ) -> None:
        self.index_dir = index_dir
        self.store = store
        self._base = store_base(store)
        self._conn = conn
        self.meta = meta
        self.generation = int(meta["generation"])
        self.model_id = meta["model_id"]
        self.dim = int(meta["dim"])
        self.vectors = load_vector_set(index_dir, meta, self.dim)
        self.vector_kind = self.vectors.kind
        if self._base and self.vectors.max_id() > ROW_MASK:
            raise ValueError(f"{index_dir}: too many chunks for store ids (index.store.keys)")
        self._frequencies: dict[str, int] = {}
        self._layouts: dict[int, ParagraphEntry] = {}
        self._places: str | None = None
        """How this generation's paragraphs read their line and page (`index.store.places`)."""
        self._has_quotes: bool | None = None
        """Known once a question asks for quotes; a question that does not costs nothing."""
        # Shared by the threads of one process (the TUI asks from workers), like the snapshot.
        # Read-only where the folder cannot be written, like `conn` (index.store.schema).
        self._probe = open_database(index_dir)

    @classmethod
    def open(cls, index_dir: Path, model_id: str | None = None, store: int = 0) -> IndexSnapshot:
        """Open the last committed generation; refuse it if built by another model.

        `store` is its number among the stores of one library (`index.store.keys`).
        """
        for attempt in range(3):
            conn = connect(index_dir)
            try:
                # Reads through a mapping: no copy per page, and reader processes share
                # the page cache's pages (SQLite caps the size at its build's maximum).
                conn.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")
                meta = committed_meta(conn, index_dir)
                check_meta(meta, index_dir)
                if model_id is not None and meta["model_id"] != model_id:
                    raise ModelMismatch(
                        f"the index at {index_dir} was built with model {meta['model_id']} "
                        f"but this query uses {model_id}; pass --model for the model it was "
                        "built with, or rebuild with `qa index build --full`"
                    )
                check_content(conn, index_dir, meta)
                return cls(index_dir, conn, meta, store)
            except IndexCorrupt:
                conn.close()
                # A build may have committed and removed our file between our reads.
                if attempt < 2 and _generation_moved(index_dir, meta):
                    continue
                raise
            except BaseException as error:
                conn.close()
                damage = load_damage(error, index_dir)
                if damage is None:
                    raise
                raise damage from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._conn.close()
        self._probe.close()

    def is_current(self) -> bool:
        row = self._probe.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        # Compared as text: a damaged value means "not ours", and reopening says why.
        return row is not None and row[0] == str(self.generation)

    def info(self) -> IndexInfo:
        sources = tuple(r[0] for r in self._conn.execute("SELECT root FROM sources ORDER BY root"))
        size = sum(p.stat().st_size for p in self.index_dir.iterdir() if p.is_file())
        return IndexInfo(
            index_dir=self.index_dir,
            generation=self.generation,
            model_id=self.model_id,
            dim=self.dim,
            articles=int(self.meta.get("articles", 0)),
            paragraphs=int(self.meta.get("paragraphs", 0)),
            passages=int(self.meta.get("passages", 0)),
            sentences=int(self.meta.get("sentences", 0)),
            built_at=self.meta.get("built_at", ""),
            size_bytes=size,
            sources=sources,
        )

    def passage_count(self) -> int:
        return int(self.meta.get("passages", 0))

    def dense_search(
        self, queries: np.ndarray, k: int, where: ArticleFilter | None = None
    ) -> list[list[tuple[int, float]]]:
        """Top-k chunk ids by inner product for each query vector, among `where`'s articles."""
        allowed = None
        if where is not None and not where.is_empty():
            allowed = self._chunks_of_articles(where)
            if not len(allowed):
                return [[] for _ in range(len(queries))]
        k = min(k, self.vectors.ntotal)
        if k <= 0:
            return [[] for _ in range(len(queries))]
        scores, ids = self.vectors.search(queries, k, allowed)
        if self._base:
            ids = np.where(ids >= 0, ids + self._base, ids)
        return [
            [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0]
            for row_ids, row_scores in zip(ids, scores, strict=True)
        ]

    def lexical_search(
        self, match: str, k: int, where: ArticleFilter | None = None
    ) -> list[tuple[int, float]]:
        """Top-k passage chunk ids by FTS5 BM25 for an FTS5 MATCH expression (higher is better)."""
        if not match:
            return []
        sql = LEXICAL_SQL
        params: tuple[str, ...] = ()
        if where is not None and not where.is_empty():
            condition, params = article_condition(where)
            sql += f"AND rowid IN ({CHUNKS_OF_ARTICLES}{condition})"
        rows = self._conn.execute(sql + LEXICAL_ORDER, (match, *params, k))
        if self._base:
            return [(int(r) + self._base, float(s)) for r, s in rows]
        return [(int(r), float(s)) for r, s in rows]

    def _chunks_of_articles(self, where: ArticleFilter) -> np.ndarray:
        """Row ids of the chunks of the articles a filter keeps."""
        condition, params = article_condition(where)
        rows = self._conn.execute(CHUNKS_OF_ARTICLES + condition, params)
        return np.array([r[0] for r in rows], dtype=np.int64)

    def phrase_postings(self, phrases: list[str], where: ArticleFilter | None) -> PhrasePostings:
        """For a fan-out's global BM25: `index.store.term_stats.phrase_postings`."""
        return phrase_postings(self._conn, phrases, where, self._base)

    def fts_totals(self) -> tuple[int, int]:
        """(rows, tokens) of this generation's FTS5 table, BM25's collection statistics."""
        return fts_totals(self._conn)

    def document_frequencies(self, words: Sequence[str]) -> list[int]:
        """Passages whose text holds each of `words` (FTS5-stemmed): a question's IDFs.

        Remembered for the snapshot's life (a generation never changes): counting walks
        the word's whole posting list, ~5 ms for a word in 100k of a million passages,
        and the common words are exactly the ones every question repeats.
        """
        return [self._document_frequency(word) for word in words]

    def remembered_frequencies(self, words: Sequence[str]) -> list[int] | None:
        """`document_frequencies` if every word's count is remembered, else None."""
        counts = []
        for word in words:
            count = self._frequencies.get(word)
            if count is None:
                return None
            counts.append(count)
        return counts

    def _document_frequency(self, word: str) -> int:
        known = self._frequencies.get(word)
        if known is not None:
            return known
        match = '"' + word.replace('"', "") + '"'
        count = int(
            self._conn.execute(
                "SELECT COUNT(*) FROM passage_fts WHERE passage_fts MATCH ?", (match,)
            ).fetchone()[0]
        )
        if len(self._frequencies) >= _FREQUENCIES_KEPT:
            self._frequencies.clear()
        self._frequencies[word] = count
        return count

    def paragraphs_of(self, chunk_ids: list[int]) -> dict[int, int]:
        """The paragraph id of each of some chunks (those the store holds)."""
        if not chunk_ids:
            return {}
        base = self._base
        if base:
            chunk_ids = [i - base for i in chunk_ids]
        marks = ",".join("?" * len(chunk_ids))
        rows = self._conn.execute(
            f"SELECT id, paragraph_id FROM chunks WHERE id IN ({marks})", chunk_ids
        )
        if base:
            return {c + base: p + base for c, p in rows}
        return dict(rows.fetchall())

    def chunk_layout(self, paragraph_ids: list[int]) -> ChunkLayout:
        """Where every chunk of some paragraphs lies, as arrays: no records are built.

        The query path scores hundreds of chunks per question and cites a handful, so it
        reads spans here and builds `ChunkRecord`s only for the hits (`ChunkLayout.record`).
        Each paragraph's part is remembered for the snapshot's life (a generation never
        changes): reading ~1,000 chunk rows costs more than scoring them.
        """
        wanted = sorted(set(paragraph_ids))
        known = {pid: self._layouts[pid] for pid in wanted if pid in self._layouts}
        if len(known) < len(wanted):
            # Read into `known` itself: the cache may be emptied to make room meanwhile.
            known |= self._read_layouts([pid for pid in wanted if pid not in known])
        paragraphs = [pid for pid in wanted if pid in known]
        return ChunkLayout.of_entries(paragraphs, [known[pid] for pid in paragraphs])

    def _read_layouts(self, paragraph_ids: list[int]) -> dict[int, ParagraphEntry]:
        """Read the entries of some paragraphs (store ids) from the database, and remember them.

        Entries hold store ids: translated once here, not per question.
        """
        base = self._base
        local = [pid - base for pid in paragraph_ids] if base else paragraph_ids
        marks = ",".join("?" * len(local))
        if self._places is None:
            self._places = place_columns(self._conn, "p")
        found = {
            row[0]: row[1:]
            for row in self._conn.execute(
                f"SELECT p.id, p.text, p.boilerplate, p.ordinal, {self._places}, a.id, a.key, "
                "a.path, a.title, a.source, a.url, a.published FROM paragraphs p "
                f"JOIN articles a ON a.id = p.article_id WHERE p.id IN ({marks})",
                local,
            )
        }
        # Sorted here, not by ORDER BY: with one, SQLite walks the whole paragraph index
        # in order (~5 ms at 100k chunks) instead of looking up the few paragraphs asked.
        rows = self._conn.execute(
            "SELECT id, paragraph_id, kind = 'sentence', start, end FROM chunks "
            f"WHERE paragraph_id IN ({marks})",
            local,
        ).fetchall()
        table = np.array(rows, dtype=np.int64).reshape(-1, 5)
        table = table[np.lexsort((table[:, 0], table[:, 3], table[:, 1]))]
        ordered = sorted(found)
        bounds = np.searchsorted(table[:, 1], np.array(ordered), side="right")
        if base:
            table[:, :2] += base
        entries = {}
        first = 0
        for pid, last in zip(ordered, bounds.tolist(), strict=True):
            text, flag, ordinal, line, page, article_id, *cited = found[pid]
            lowered = text.lower()
            entries[pid + base] = ParagraphEntry(
                rows=table[first:last],
                text=text,
                lowered=lowered if len(lowered) == len(text) else None,
                boilerplate=bool(flag),
                ordinal=ordinal,
                article=ArticleRef(article_id + base, *cited),
                line=place_or_none(line),
                page=place_or_none(page),
            )
            first = last
        if len(self._layouts) + len(entries) > _LAYOUTS_KEPT:
            self._layouts.clear()
        self._layouts.update(entries)
        return entries

    def vectors_of(self, chunk_ids: list[int]) -> np.ndarray:
        """Stored vectors of chunks, read back from the vector index without re-embedding."""
        if not chunk_ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = np.asarray(chunk_ids, dtype=np.int64)
        local = rows - self._base if self._base else rows
        found = self.vectors.vectors_of(local)
        if found is None:
            raise IndexCorrupt(f"{self.index_dir}: chunks {chunk_ids[:3]} have no vector")
        return found

    def article_paragraphs(self, article_id: int) -> list[tuple[int, str, bool]]:
        """All paragraphs of one article as (ordinal, text, boilerplate), for the reader view."""
        if store_of(article_id) != self.store:
            return []  # another store's article
        rows = self._conn.execute(
            "SELECT ordinal, text, boilerplate FROM paragraphs WHERE article_id = ? "
            "ORDER BY ordinal",
            (article_id - self._base,),
        )
        return [(int(o), t, bool(b)) for o, t, b in rows]

    def quotes_by(self, speaker: str, where: ArticleFilter | None = None) -> list[QuoteRecord]:
        """Quotes of whoever `speaker` names (`index.store.quotes.speaker_quotes`), newest
        first; none when this generation predates the quotes table (migration 2 is
        readable before: such an index answers questions as it always did)."""
        if self._has_quotes is None:
            self._has_quotes = has_quotes(self._conn, self.index_dir)
        if not self._has_quotes:
            return []
        return speaker_quotes(self._conn, speaker, where, self._base)

    def count_articles(self, where: ArticleFilter | None = None) -> int:
        """Articles a filter keeps (to say what it excluded); all of them without one."""
        condition, params = article_condition(where or ArticleFilter())
        sql = f"SELECT count(*) FROM articles a WHERE {condition}"
        return int(self._conn.execute(sql, params).fetchone()[0])

    def article_counts(self) -> ArticleCounts:
        total, undated, sourceless = self._conn.execute(ARTICLE_COUNTS_SQL).fetchone()
        return ArticleCounts(int(total), int(undated), int(sourceless))


def _generation_moved(index_dir: Path, seen: dict[str, str]) -> bool:
    try:
        conn = open_database(index_dir)
        try:
            now = read_meta(conn).get("generation")
        finally:
            conn.close()
    except (sqlite3.DatabaseError, IndexUnavailable):
        return False
    return now is not None and now != seen.get("generation")
