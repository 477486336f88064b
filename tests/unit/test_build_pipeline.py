"""The build's embedding pipeline: incremental equals full, failures and cancels keep the
previous index, and the vector cache keeps the work done before a failure.

Libraries here hold a few hundred texts, more than one job of the background embedder
(`MIN_JOB_TEXTS`), so embedding really overlaps reading in these builds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from library_fixtures import build, embedder

from index.build.embed import embed_jobs
from index.build.run import BuildProgress, build_index, run_build
from index.embedding.pipeline import MIN_JOB_TEXTS
from index.errors import BuildInterrupted
from index.sources.chunking import chunk_article
from index.sources.readers import read_articles
from index.store.snapshot import IndexSnapshot
from index.store.verify import verify_index
from qa.library import Library

TOPICS = [
    ("harbour", "The harbour bridge reopened after {n} months of cable repairs."),
    ("orchard", "A late frost destroyed {n} percent of the apricot blossoms."),
    ("council", "The council approved a budget of {n} million euros for schools."),
    ("football", "The home side won the derby by {n} goals to nil on Sunday."),
    ("election", "Turnout in the regional election reached {n} percent."),
]


def make_articles(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        name, sentence = TOPICS[i % len(TOPICS)]
        body = (
            f"{sentence.format(n=i + 2)} Officials in district {i} said so on Monday.\n\n"
            f"Residents of district {i} met the news with relief. Reporter number {i} wrote it."
        )
        (folder / f"{name}-{i:03d}.txt").write_text(
            f"Title: {name.title()} {i}\n\n{body}\n", encoding="utf-8"
        )
    return folder


def chunk_texts(folder: Path) -> set[str]:
    """The texts the model reads for `folder` (passages; sentences come from their pass)."""
    e = embedder()
    texts = set()
    for path in sorted(folder.glob("*.txt")):
        for article in read_articles(path, folder):
            chunks = chunk_article(article, e.count_tokens, e.max_tokens)
            texts.update(job.text for job in embed_jobs(chunks))
    return texts


def answers(index_dir: Path, questions: Sequence[str]) -> list[list[tuple[str, int, str]]]:
    library = Library(index_dir, embedder())
    try:
        return [
            [(h.citation.article, h.citation.paragraph, h.text) for h in library.ask(q, k=5).hits]
            for q in questions
        ]
    finally:
        library.close()


def stored_chunks(index_dir: Path) -> dict[tuple[str, int, str, int, int], np.ndarray]:
    """(article, paragraph, kind, start, end) -> the chunk's vector in the vector file."""
    import sqlite3

    from index.store.vectors import stored_vectors

    snapshot = IndexSnapshot.open(index_dir)
    try:
        ids, matrix = stored_vectors(snapshot.vectors)
        row_of = {int(i): n for n, i in enumerate(ids)}
        conn = sqlite3.connect(index_dir / "library.sqlite")
        rows = conn.execute(
            "SELECT c.id, a.key, p.ordinal, c.kind, c.start, c.end FROM chunks c "
            "JOIN paragraphs p ON p.id = c.paragraph_id JOIN articles a ON a.id = p.article_id"
        ).fetchall()
        conn.close()
        return {tuple(r[1:]): np.array(matrix[row_of[r[0]]]) for r in rows}
    finally:
        snapshot.close()


QUESTIONS = [
    "How long were the harbour bridge repairs?",
    "What did the frost do to the apricot blossoms?",
    "How much did the council approve for schools?",
    "What was turnout in the regional election?",
]


def test_incremental_build_embeds_only_new_text_and_matches_a_full_build(tmp_path: Path) -> None:
    articles = make_articles(tmp_path / "articles", 150)
    first = build(tmp_path / "index", articles)
    assert first.embedded == len(chunk_texts(articles)) > MIN_JOB_TEXTS

    before = chunk_texts(articles)
    edited = articles / "harbour-005.txt"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("7 months", "19 months")
        + "\nThe bridge toll rises to four euros in June.\n",
        encoding="utf-8",
    )
    (articles / "orchard-006.txt").unlink()
    again = build(tmp_path / "index")
    new_texts = chunk_texts(articles) - before
    assert (again.updated, again.removed, again.unchanged) == (1, 1, 148)
    assert again.embedded == len(new_texts) > 0

    full = build(tmp_path / "full", articles, full=True)
    assert full.embedded == len(chunk_texts(articles))
    incremental, rebuilt = stored_chunks(tmp_path / "index"), stored_chunks(tmp_path / "full")
    assert incremental.keys() == rebuilt.keys()
    # Same texts, same vectors, whatever batches they were embedded in.
    for key, vector in incremental.items():
        assert np.allclose(vector, rebuilt[key], atol=1e-5), key
    assert answers(tmp_path / "index", QUESTIONS) == answers(tmp_path / "full", QUESTIONS)
    toll = answers(tmp_path / "index", ["How much will the bridge toll be in June?"])[0][0]
    assert toll[0] == "harbour-005.txt" and "four euros" in toll[2]
    assert verify_index(tmp_path / "index") == []


def test_touched_file_is_rehashed_not_reembedded(tmp_path: Path) -> None:
    articles = make_articles(tmp_path / "articles", 5)
    build(tmp_path / "index", articles)
    touched = articles / "football-003.txt"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    report = build(tmp_path / "index")
    assert (report.unchanged, report.updated, report.embedded) == (5, 0, 0)
    # Its new stat was recorded: the next build does not even read it.
    assert build(tmp_path / "index").unchanged == 5
    assert answers(tmp_path / "index", ["Who won the derby?"])[0][0][0] == "football-003.txt"


class FailingEmbedder:
    """The real embedder, except that its `fail_at`-th encode call raises."""

    def __init__(self, fail_at: int) -> None:
        self.inner = embedder()
        self.fail_at = fail_at
        self.calls = 0
        self.model_id = self.inner.model_id
        self.model_path = self.inner.model_path
        self.dim = self.inner.dim
        self.max_tokens = self.inner.max_tokens
        self.backend = self.inner.backend

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("model fell over")
        return self.inner.encode(texts, batch_size=batch_size)

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], batch_size: int = 64
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("model fell over")
        return self.inner.encode_spans(texts, spans, batch_size=batch_size)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def warm(self) -> None:
        self.inner.warm()


def test_model_failure_keeps_the_previous_index_and_the_vectors_done(tmp_path: Path) -> None:
    articles = make_articles(tmp_path / "articles", 4)
    build(tmp_path / "index", articles)
    make_articles(tmp_path / "more", 200)
    threads = threading.active_count()
    failing = FailingEmbedder(fail_at=2)
    with pytest.raises(RuntimeError, match="model fell over"):
        run_build(build_index(tmp_path / "index", [tmp_path / "more"], embedder=failing))
    assert threading.active_count() == threads  # the embedding thread was joined
    snapshot = IndexSnapshot.open(tmp_path / "index")
    assert snapshot.info().articles == 4
    snapshot.close()

    # The first group's vectors were cached before the failure: not embedded again.
    resumed = build(tmp_path / "index", tmp_path / "more")
    assert resumed.articles == 204
    assert 0 < resumed.embedded < len(chunk_texts(tmp_path / "more"))
    assert answers(tmp_path / "index", ["Who won the derby?"])[0][0][0].startswith("football")


def test_cancel_while_embedding_keeps_the_previous_index(tmp_path: Path) -> None:
    articles = make_articles(tmp_path / "articles", 4)
    build(tmp_path / "index", articles)
    make_articles(tmp_path / "more", 150)
    threads = threading.active_count()
    cancel = threading.Event()
    more = [tmp_path / "more"]
    events = build_index(tmp_path / "index", more, embedder=embedder(), cancel=cancel)
    with pytest.raises(BuildInterrupted, match="previous index kept"):
        for event in events:
            if isinstance(event, BuildProgress) and event.stage == "embedding":
                cancel.set()
    assert threading.active_count() == threads
    snapshot = IndexSnapshot.open(tmp_path / "index")
    assert snapshot.info().articles == 4
    snapshot.close()
