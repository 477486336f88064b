"""The store interface: what asking needs of a store, typed, with no SQL outside it.

Asking goes through `index.store.interface.Store` only, filters reach the store as a
value, and a store's ids are unique across the stores of a library: a fan-out over
two separately built stores (below, in a few lines) ranks with `qa`'s ranking unchanged.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from library_fixtures import EXTRA_ARTICLES, SAMPLE, build, embedder, make_library

import qa
from index.store.filters import ArticleFilter
from index.store.interface import Store
from index.store.keys import ROW_BITS, store_of
from index.store.records import ArticleCounts, ChunkLayout, IndexInfo
from index.store.snapshot import IndexSnapshot
from qa.library import Library
from qa.retrieve import Filters, rank_passages


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Indexes of the sample article alone, of the two others alone, and of all three."""
    root = tmp_path_factory.mktemp("stores")
    news = make_library(root / "news", extra=False)
    local = make_library(root / "local", sample=False)
    both = make_library(root / "both")
    out = {}
    for name, folder in (("news", news), ("local", local), ("both", both)):
        build(root / f"{name}-index", folder)
        out[name] = root / f"{name}-index"
    assert sorted(p.name for p in both.iterdir()) == sorted([SAMPLE, *EXTRA_ARTICLES])
    return out


@dataclass
class RecordingStore:
    """A store that notes the filters its searches are given, then asks the real one."""

    inner: IndexSnapshot
    filters_seen: list[ArticleFilter | None] = field(default_factory=list)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def dense_search(
        self, queries: np.ndarray, k: int, where: ArticleFilter | None = None
    ) -> list[list[tuple[int, float]]]:
        self.filters_seen.append(where)
        return self.inner.dense_search(queries, k, where)

    def lexical_search(
        self, match: str, k: int, where: ArticleFilter | None = None
    ) -> list[tuple[int, float]]:
        self.filters_seen.append(where)
        return self.inner.lexical_search(match, k, where)


def test_a_filter_reaches_the_store_as_a_value_and_narrows_the_answer(
    folders: dict[str, Path],
) -> None:
    opened: list[RecordingStore] = []

    def open_recording(index_dir: Path, model_id: str) -> Store:
        opened.append(RecordingStore(IndexSnapshot.open(index_dir, model_id)))
        return opened[-1]  # type: ignore[return-value]  # the rest by __getattr__

    library = Library(folders["both"], embedder(), open_store=open_recording)
    try:
        everywhere = library.ask("What did the mayor say?", k=5)
        herald = Filters(source="coastal")
        narrowed = library.ask("What did the mayor say?", k=5, filters=herald)
    finally:
        library.close()
    assert {h.citation.source for h in everywhere.hits} > {"Coastal Herald"}
    assert narrowed.hits and {h.citation.source for h in narrowed.hits} == {"Coastal Herald"}
    assert opened and opened[0].filters_seen[-2:] == [herald, herald]


def test_dates_and_words_filter_in_the_store(folders: dict[str, Path]) -> None:
    store = IndexSnapshot.open(folders["both"])
    try:
        vector = embedder().encode(["apricot harvest"])
        for where, articles in (
            (ArticleFilter(since="2022"), {"orchard-frost.md"}),
            (ArticleFilter(until="2021-03"), {"harbour-bridge.txt"}),
            (ArticleFilter(article="BELARUS"), {SAMPLE}),
            (ArticleFilter(source="herald", since="2022"), set()),
        ):
            dense = [i for i, _ in store.dense_search(vector, 50, where)[0]]
            lexical = [i for i, _ in store.lexical_search('"apricot" OR "harbour"', 50, where)]
            layout = store.chunk_layout(list(store.paragraphs_of(dense + lexical).values()))
            assert {e.article.key for e in layout.entries} == articles, where
            assert store.count_articles(where) == len(articles)
        assert store.count_articles() == 3
        # The sample names its publisher in its own sign-off line: every article has a source.
        assert store.article_counts() == ArticleCounts(total=3, undated=1, sourceless=0)
    finally:
        store.close()


def test_two_stores_answer_with_ids_that_never_collide(folders: dict[str, Path]) -> None:
    news = IndexSnapshot.open(folders["news"], store=0)
    local = IndexSnapshot.open(folders["local"], store=1)
    try:
        vector = embedder().encode(["Who said what about the bridge and Belarus?"])
        hits = [i for store in (news, local) for i, _ in store.dense_search(vector, 100)[0]]
        assert len(hits) == len(set(hits)) == news.vectors.ntotal + local.vectors.ntotal
        assert {store_of(i) for i in hits} == {0, 1}
        # The same row numbers in each database, told apart by the store number.
        rows = {i & ((1 << ROW_BITS) - 1) for i in hits if store_of(i) == 1}
        assert rows & {i for i in hits if store_of(i) == 0}
        paragraphs = [p for store in (news, local) for p in store.paragraphs_of(hits).values()]
        merged = ChunkLayout.merged([news.chunk_layout(paragraphs), local.chunk_layout(paragraphs)])
        assert sorted(merged.chunk_ids.tolist()) == sorted(hits)
        assert list(merged.paragraphs) == sorted(set(paragraphs))
        for row in range(len(merged.chunk_ids)):
            record = merged.record(row)
            owner = local if store_of(record.chunk_id) else news
            assert store_of(record.article.id) == owner.store
            assert (record.ordinal, record.paragraph_text, record.boilerplate) in (
                owner.article_paragraphs(record.article.id)
            )
        assert not news.article_paragraphs(merged.record(len(merged.chunk_ids) - 1).article.id)
    finally:
        news.close()
        local.close()


class FanOut:
    """Several stores asked as one: each call sent to all of them, or to the one an id names."""

    def __init__(self, stores: list[IndexSnapshot]) -> None:
        self.stores = stores

    def _owner(self, some_id: int) -> IndexSnapshot:
        return self.stores[store_of(some_id)]

    def is_current(self) -> bool:
        return all(s.is_current() for s in self.stores)

    def close(self) -> None:
        for s in self.stores:
            s.close()

    def info(self) -> IndexInfo:
        raise NotImplementedError("not needed to rank")

    def passage_count(self) -> int:
        return sum(s.passage_count() for s in self.stores)

    def document_frequencies(self, words: Sequence[str]) -> list[int]:
        each = [s.document_frequencies(words) for s in self.stores]
        return [sum(column) for column in zip(*each, strict=True)]

    def dense_search(
        self, queries: np.ndarray, k: int, where: ArticleFilter | None = None
    ) -> list[list[tuple[int, float]]]:
        each = [s.dense_search(queries, k, where) for s in self.stores]
        return [
            sorted((h for hits in rows for h in hits), key=lambda h: -h[1])[:k]
            for rows in zip(*each, strict=True)
        ]

    def lexical_search(
        self, match: str, k: int, where: ArticleFilter | None = None
    ) -> list[tuple[int, float]]:
        hits = [h for s in self.stores for h in s.lexical_search(match, k, where)]
        return sorted(hits, key=lambda h: -h[1])[:k]

    def paragraphs_of(self, chunk_ids: list[int]) -> dict[int, int]:
        return {c: p for s in self.stores for c, p in s.paragraphs_of(chunk_ids).items()}

    def chunk_layout(self, paragraph_ids: list[int]) -> ChunkLayout:
        return ChunkLayout.merged([s.chunk_layout(paragraph_ids) for s in self.stores])

    def vectors_of(self, chunk_ids: list[int]) -> np.ndarray:
        return np.array([self._owner(i).vectors_of([i])[0] for i in chunk_ids])

    def article_paragraphs(self, article_id: int) -> list[tuple[int, str, bool]]:
        return self._owner(article_id).article_paragraphs(article_id)

    def count_articles(self, where: ArticleFilter | None = None) -> int:
        return sum(s.count_articles(where) for s in self.stores)

    def article_counts(self) -> ArticleCounts:
        counts = [s.article_counts() for s in self.stores]
        return ArticleCounts(*(sum(c[i] for c in counts) for i in range(3)))


def test_a_fan_out_over_two_stores_ranks_as_one_store_does(folders: dict[str, Path]) -> None:
    """Dense ranking over two stores equals ranking over one holding both: nothing in the
    ranking reads a store's ids as anything but opaque keys. (BM25 scores are per store
    in FTS5; global statistics across stores are the sharding issue's part.)"""
    fan: Store = FanOut(
        [
            IndexSnapshot.open(folders["news"], store=0),
            IndexSnapshot.open(folders["local"], store=1),
        ]
    )
    one = IndexSnapshot.open(folders["both"])
    questions = ["What did Peskov say?", "How much did the bridge repairs cost?", "apricot frost"]
    try:
        for question, vector in zip(questions, embedder().encode(questions), strict=True):
            ranked = [rank_passages(s, question, vector, k=8, mode="dense") for s in (fan, one)]
            merged, single = (
                [(p.record.article.key, p.record.ordinal, p.record.start) for p in r]
                for r in ranked
            )
            assert merged == single, question
            assert [p.score for p in ranked[0]] == pytest.approx(
                [p.score for p in ranked[1]], abs=1e-5
            )
        with_filter = rank_passages(fan, "bridge", vector, k=8, filters=Filters(source="herald"))
        assert {p.record.article.key for p in with_filter} == {"harbour-bridge.txt"}
        assert {store_of(p.record.chunk_id) for p in with_filter} == {1}
    finally:
        fan.close()
        one.close()


_SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|WHERE|JOIN|PRAGMA)\b")


def test_no_sql_outside_the_store() -> None:
    """The asking side says what it wants in values; only `index.store` writes SQL."""
    offenders = []
    for path in sorted(Path(qa.__file__).parent.rglob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for token in tokens:
            if token.type == tokenize.STRING and _SQL.search(token.string):
                offenders.append(f"{path.name}:{token.start[0]}: {token.string[:60]}")
    assert not offenders
    # And the check itself finds SQL where there is some.
    store_module = Path(IndexSnapshot.__module__.replace(".", "/") + ".py")
    assert _SQL.search((Path(qa.__file__).parents[1] / store_module).read_text(encoding="utf-8"))
