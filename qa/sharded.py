"""`ShardedStore`: the shards of a library asked as one store, in parallel, ranked as one.

Calls whose work is mostly inside SQLite or FAISS (which release the GIL) go to all
shards at once, a thread each; the BM25 postings, mostly Python per row, and reads by id
go shard after shard, or only to the shard an id names (`index.store.keys.store_of`);
the answers are joined. The one part that is not a plain union is BM25: FTS5 scores with
the statistics of its own table, so each shard would rank with its own document count,
average length and document frequencies. Instead every passage holding a question
phrase is scored again with the library's statistics (`index.store.term_stats`): the
same formula over the same numbers as one store holding every passage, so the ranking
equals one store's. The collection statistics come from the manifest written at commit
(`index.shards.manifest`); while a build is between committing a shard and writing the
manifest, they are summed from the shards as opened, so they always match what is read.

Nothing here imports the build, Dask or anything else the ask path does not need.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from index.errors import ModelMismatch
from index.shards.manifest import Manifest, is_sharded, manifest_path, read_manifest
from index.store.filters import ArticleFilter
from index.store.keys import ROW_BITS, store_of
from index.store.quotes import QuoteRecord
from index.store.records import ArticleCounts, ChunkLayout, IndexInfo
from index.store.snapshot import IndexSnapshot
from index.store.term_stats import global_bm25

T = TypeVar("T")
_PHRASE = re.compile(r'"((?:[^"]|"")*)"')
MAX_THREADS = 8


class ShardedStore:
    """One committed generation of a sharded library; implements `Store`."""

    def __init__(self, index_dir: Path, manifest: Manifest, shards: list[IndexSnapshot]) -> None:
        self.index_dir = index_dir
        self.manifest = manifest
        self.shards = shards
        # Imported here: `concurrent.futures` brings `logging`, ~10 ms of every cold ask of
        # a one-store library, which never needs it.
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(
            max_workers=min(MAX_THREADS, len(shards)), thread_name_prefix="shard"
        )
        self._manifest_stat = _identity(manifest_path(index_dir))
        matches = all(
            s.generation == e.generation for s, e in zip(shards, manifest.shards, strict=True)
        )
        if matches:
            self.rows, self.tokens = manifest.documents, manifest.tokens
        else:
            totals = self._each(lambda s: s.fts_totals())
            self.rows, self.tokens = sum(t[0] for t in totals), sum(t[1] for t in totals)

    @classmethod
    def open(cls, index_dir: Path, model_id: str | None = None) -> ShardedStore:
        manifest = read_manifest(index_dir)
        if model_id is not None and manifest.model_id != model_id:
            raise ModelMismatch(
                f"the index at {index_dir} was built with model {manifest.model_id} but this "
                f"query uses {model_id}; pass --model for the model it was built with, or "
                "rebuild with `qa index build --full`"
            )
        from concurrent.futures import ThreadPoolExecutor

        folders = [index_dir / entry.folder for entry in manifest.shards]
        with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(folders))) as pool:
            futures = [
                pool.submit(IndexSnapshot.open, folder, model_id, number)
                for number, folder in enumerate(folders)
            ]
            opened, failure = [], None
            for future in futures:
                try:
                    opened.append(future.result())
                except BaseException as error:  # noqa: BLE001 - re-raised below, after closing
                    failure = failure or error
        if failure is not None:
            for snapshot in opened:
                snapshot.close()
            raise failure
        return cls(index_dir, manifest, opened)

    def _each(self, call: Callable[[IndexSnapshot], T]) -> list[T]:
        """`call` on every shard at once; answers in shard order."""
        if len(self.shards) == 1:
            return [call(self.shards[0])]
        return list(self._pool.map(call, self.shards))

    def _owners(self, ids: Iterable[int]) -> dict[int, list[int]]:
        """Ids grouped by the shard that holds them."""
        groups: dict[int, list[int]] = {}
        for some_id in ids:
            groups.setdefault(store_of(some_id), []).append(some_id)
        return {n: part for n, part in groups.items() if n < len(self.shards)}

    def is_current(self) -> bool:
        if _identity(manifest_path(self.index_dir)) != self._manifest_stat:
            return False
        return all(s.is_current() for s in self.shards)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for snapshot in self.shards:
            snapshot.close()

    def info(self) -> IndexInfo:
        parts = self._each(lambda s: s.info())
        top = sum(p.stat().st_size for p in self.index_dir.iterdir() if p.is_file())
        return IndexInfo(
            index_dir=self.index_dir,
            generation=self.manifest.generation,
            model_id=self.manifest.model_id,
            dim=parts[0].dim,
            articles=sum(p.articles for p in parts),
            paragraphs=sum(p.paragraphs for p in parts),
            passages=sum(p.passages for p in parts),
            sentences=sum(p.sentences for p in parts),
            built_at=self.manifest.built_at,
            size_bytes=top + sum(p.size_bytes for p in parts),
            sources=tuple(sorted({root for p in parts for root in p.sources})),
            shards=len(parts),
        )

    def passage_count(self) -> int:
        return sum(s.passage_count() for s in self.shards)

    def document_frequencies(self, words: Sequence[str]) -> list[int]:
        # Each shard remembers its counts: once a question's words are known everywhere,
        # these are dictionary reads, which a thread hand-off (~0.1 ms) would only slow.
        each = [s.remembered_frequencies(words) for s in self.shards]
        if any(counts is None for counts in each):
            each = self._each(lambda s: s.document_frequencies(words))
        return [sum(column) for column in zip(*each, strict=True)]

    def dense_search(
        self, queries: np.ndarray, k: int, where: ArticleFilter | None = None
    ) -> list[list[tuple[int, float]]]:
        each = self._each(lambda s: s.dense_search(queries, k, where))
        return [
            sorted((h for hits in rows for h in hits), key=lambda h: -h[1])[:k]
            for rows in zip(*each, strict=True)
        ]

    def lexical_search(
        self, match: str, k: int, where: ArticleFilter | None = None
    ) -> list[tuple[int, float]]:
        """Top-k passages by BM25 with the library's statistics (see the module docstring)."""
        phrases = ['"' + p + '"' for p in _PHRASE.findall(match)]
        if not phrases:
            return []
        # One shard after another: turning rows into counts holds the GIL for most of a
        # shard's ~1.3 ms, so threads only add hand-offs (fan-out p50 over 4 x 250k
        # shards, alternating per question: 25.0 / 23.6 / 22.4 ms against 26.9 / 25.7 /
        # 23.6 ms with a thread per shard).
        parts = [s.phrase_postings(phrases, where) for s in self.shards]
        scores = global_bm25(parts, self.rows, self.tokens)
        ranked = sorted(scores.items(), key=lambda hit: (-hit[1], hit[0]))
        return ranked[:k]

    def paragraphs_of(self, chunk_ids: list[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for number, part in self._owners(chunk_ids).items():
            out |= self.shards[number].paragraphs_of(part)
        return out

    def chunk_layout(self, paragraph_ids: list[int]) -> ChunkLayout:
        groups = self._owners(paragraph_ids)
        return ChunkLayout.merged(
            [self.shards[number].chunk_layout(part) for number, part in groups.items()]
        )

    def vectors_of(self, chunk_ids: list[int]) -> np.ndarray:
        ids = np.asarray(chunk_ids, dtype=np.int64)
        out = np.zeros((len(ids), self.shards[0].dim), dtype=np.float32)
        owners = ids >> ROW_BITS
        for number in np.unique(owners).tolist():
            rows = np.flatnonzero(owners == number)
            out[rows] = self.shards[number].vectors_of(ids[rows].tolist())
        return out

    def article_paragraphs(self, article_id: int) -> list[tuple[int, str, bool]]:
        number = store_of(article_id)
        if number >= len(self.shards):
            return []
        return self.shards[number].article_paragraphs(article_id)

    def count_articles(self, where: ArticleFilter | None = None) -> int:
        return sum(self._each(lambda s: s.count_articles(where)))

    def article_counts(self) -> ArticleCounts:
        counts = self._each(lambda s: s.article_counts())
        return ArticleCounts(*(sum(c[i] for c in counts) for i in range(3)))

    def quotes_by(self, speaker: str, where: ArticleFilter | None = None) -> list[QuoteRecord]:
        """Every shard's quotes, newest article first as one store orders them (undated
        last, then by key); an article's own quotes stay in their order."""
        found = [q for part in self._each(lambda s: s.quotes_by(speaker, where)) for q in part]
        found.sort(key=lambda q: (q.article.key, q.article.id))
        found.sort(key=lambda q: q.article.published or "", reverse=True)
        found.sort(key=lambda q: not q.article.published)
        return found


def _identity(path: Path) -> tuple[int, int] | None:
    """What changes when the manifest is replaced (a rename gives a new inode)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def open_library_store(
    index_dir: Path, model_id: str | None = None
) -> IndexSnapshot | ShardedStore:
    """The store of a library index folder: its shards when it has a manifest, else the
    one store it is (every folder built before shards)."""
    if is_sharded(index_dir):
        return ShardedStore.open(index_dir, model_id)
    return IndexSnapshot.open(index_dir, model_id)
