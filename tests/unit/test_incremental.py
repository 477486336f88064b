"""Issue 14, part B: an edit commits a vector delta and the rows it changed, not the whole
index. Deltas start at 50k vectors; `QA_DELTA_MIN_VECTORS=0` (and an HNSW base through
`QA_ANN_MIN_VECTORS=0`) makes the three-article test library behave like a large one.
Real model, SQLite and FAISS throughout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from library_fixtures import build, embedder, make_library

from index.errors import IndexCorrupt
from index.store import incremental
from index.store.digest import content_digest
from index.store.snapshot import IndexSnapshot
from index.store.verify import verify_index
from qa.library import Library

MAYOR = "What did mayor Duarte say?"
FROST = "What did the late frost destroy?"
BELARUS = "Which reserve is in Belarus?"


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commit as a large index does: deltas over an HNSW base. (One article of three is a
    third of the vectors: past the deleted share that rebuilds the graph at scale.)"""
    monkeypatch.setenv("QA_DELTA_MIN_VECTORS", "0")
    monkeypatch.setenv("QA_ANN_MIN_VECTORS", "0")
    monkeypatch.setattr(incremental, "DELETED_MAX_SHARE", 1.0)


def meta(index: Path) -> dict[str, str]:
    conn = sqlite3.connect(index / "library.sqlite")
    try:
        return dict(conn.execute("SELECT key, value FROM meta"))
    finally:
        conn.close()


def answers(index: Path, *questions: str) -> list[tuple[str, int, str, float]]:
    library = Library(index, embedder())
    try:
        found = []
        for question in questions:
            hit = library.ask(question, k=1, mode="dense").hits[0]
            found.append((hit.citation.article, hit.citation.paragraph, hit.text, hit.score))
        return found
    finally:
        library.close()


def same_answers(got: list[tuple[str, int, str, float]], want: list[tuple]) -> None:
    """The same paragraphs with the same scores (to float32 rounding)."""
    assert [a[:3] for a in got] == [a[:3] for a in want]
    assert np.allclose([a[3] for a in got], [a[3] for a in want], atol=1e-5)


def edit(articles: Path, name: str, old: str, new: str) -> None:
    path = articles / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def edited_index(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A library built once, then its harbour article edited; (articles, index, first meta)."""
    articles = make_library(tmp_path / "articles")
    index = tmp_path / "index"
    build(index, articles)
    first = meta(index)
    edit(articles, "harbour-bridge.txt", "41 million euros", "57 million euros")
    build(index)
    return articles, index, first


def test_an_edit_commits_a_delta_and_only_the_edited_article_changes(
    tmp_path: Path, large: None
) -> None:
    articles = make_library(tmp_path / "articles")
    index = tmp_path / "index"
    build(index, articles)
    first = meta(index)
    before = answers(index, FROST, BELARUS)
    snapshot = IndexSnapshot.open(index)
    old_ids = {r[0] for r in snapshot._conn.execute("SELECT id FROM chunks")}
    snapshot.close()

    edit(articles, "harbour-bridge.txt", "41 million euros", "57 million euros")
    report = build(index)
    second = meta(index)
    assert report.updated == 1
    # The base file is the first generation's, untouched; the change is a delta.
    assert (second["vector_file"], second["vector_sha256"]) == (
        first["vector_file"],
        first["vector_sha256"],
    )
    assert second["delta_file"] == f"vectors-{second['generation']}.delta"
    # The digest kept up to date from the changed rows equals one of every row.
    conn = sqlite3.connect(index / "library.sqlite")
    assert content_digest(conn) == second["content_sha256"]
    new_ids = {r[0] for r in conn.execute("SELECT id FROM chunks")}
    conn.close()
    assert 0 < len(new_ids - old_ids) < len(new_ids)  # only the edited article's chunks

    mayor = answers(index, MAYOR)[0]
    assert mayor[:2] == ("harbour-bridge.txt", 2) and "57 million" in mayor[2]
    assert answers(index, FROST, BELARUS) == before
    assert verify_index(index) == []


def test_deleted_vectors_never_come_back(tmp_path: Path, large: None) -> None:
    articles = make_library(tmp_path / "articles")
    index = tmp_path / "index"
    build(index, articles)
    snapshot = IndexSnapshot.open(index)
    frost_ids = [
        r[0]
        for r in snapshot._conn.execute(
            "SELECT c.id FROM chunks c JOIN paragraphs p ON p.id = c.paragraph_id "
            "JOIN articles a ON a.id = p.article_id WHERE a.path LIKE '%orchard-frost.md'"
        )
    ]
    frost_vectors = snapshot.vectors_of(frost_ids)
    snapshot.close()

    (articles / "orchard-frost.md").unlink()
    build(index)
    assert "delta_file" in meta(index)
    snapshot = IndexSnapshot.open(index)
    try:
        # Searching with the deleted chunks' own vectors, for every vector there is.
        found = snapshot.dense_search(frost_vectors, k=10_000)
        assert all(hits for hits in found)
        assert not {chunk for hits in found for chunk, _ in hits} & set(frost_ids)
        assert snapshot.vectors.ntotal == len(snapshot.vectors.live_vectors()[0])
    finally:
        snapshot.close()
    assert all(a[0] != "orchard-frost.md" for a in answers(index, FROST, MAYOR, BELARUS))


def test_merging_and_rebuilding_keep_answers_identical(
    tmp_path: Path, large: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles, index, _ = edited_index(tmp_path)
    questions = (MAYOR, FROST, BELARUS)
    with_delta = answers(index, *questions)

    # Past the delta's size limit: the next commit adds its vectors into a new base.
    monkeypatch.setattr(incremental, "DELTA_MAX_VECTORS", 0)
    (articles / "extra.txt").write_text("Title: Extra\n\nA short unrelated note.\n", "utf-8")
    build(index)
    merged = meta(index)
    assert merged["vector_file"] == f"vectors-{merged['generation']}.faiss"
    same_answers(answers(index, *questions), with_delta)

    # Past the deleted share: the graph is built again without the deleted vectors.
    monkeypatch.setattr(incremental, "DELETED_MAX_SHARE", 0.0)
    (articles / "extra.txt").unlink()
    build(index)
    rebuilt = meta(index)
    assert "delta_file" not in rebuilt
    assert rebuilt["vector_file"] == f"vectors-{rebuilt['generation']}.faiss"
    same_answers(answers(index, *questions), with_delta)
    assert verify_index(index) == []


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_a_delta_or_an_article_row_is_refused(
    tmp_path: Path, large: None
) -> None:
    _, index, _ = edited_index(tmp_path)
    delta = index / meta(index)["delta_file"]
    original = delta.read_bytes()
    flip_byte(delta, len(original) - 3)
    with pytest.raises(IndexCorrupt) as refused:
        IndexSnapshot.open(index).close()
    assert str(delta) in str(refused.value) and "\n" not in str(refused.value)
    assert any(str(delta) in problem for problem in verify_index(index))
    delta.write_bytes(original)

    conn = sqlite3.connect(index / "library.sqlite", isolation_level=None)
    conn.execute("UPDATE paragraphs SET text = replace(text, 'apricot', 'apricoT')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with pytest.raises(IndexCorrupt) as refused:
        IndexSnapshot.open(index).close()
    assert "library.sqlite" in str(refused.value) and "\n" not in str(refused.value)
    problems = verify_index(index)
    assert any("in paragraphs" in problem for problem in problems), problems
