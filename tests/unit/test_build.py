"""Building and updating an index folder: real files, real model, real SQLite and FAISS."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from library_fixtures import SAMPLE, build, embedder, make_library

from index.build.run import BuildProgress, build_index
from index.errors import BuildInterrupted, BuildLocked, UsageError
from index.models import Skipped
from index.store.lock import WriterLock
from index.store.snapshot import IndexSnapshot
from index.store.verify import verify_index
from qa.library import Library


def ask_paragraphs(index_dir: Path, question: str, k: int = 5) -> list[tuple[str, int]]:
    library = Library(index_dir, embedder())
    try:
        answer = library.ask(question, k=k)
    finally:
        library.close()
    return [(hit.citation.article, hit.citation.paragraph) for hit in answer.hits]


def test_build_indexes_every_paragraph_and_reports_counts(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    report = build(tmp_path / "index", articles)
    assert (report.articles, report.added, report.removed) == (3, 3, 0)
    # 17 sample lines + 3 bridge paragraphs + 2 orchard paragraphs (front matter is metadata).
    snapshot = IndexSnapshot.open(tmp_path / "index")
    info = snapshot.info()
    assert info.paragraphs == 22
    assert info.passages >= 22
    assert snapshot.vectors.ntotal == info.passages + info.sentences
    snapshot.close()
    assert verify_index(tmp_path / "index") == []


def test_front_matter_sets_citation_metadata(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    build(tmp_path / "index", articles)
    library = Library(tmp_path / "index", embedder())
    hit = library.ask("What did mayor Duarte say?", k=1).hits[0]
    assert hit.citation.article == "harbour-bridge.txt"
    assert (hit.citation.title, hit.citation.source) == ("Harbour bridge reopens", "Coastal Herald")
    assert hit.citation.published == "2021-03-04"
    assert hit.citation.paragraph == 2
    assert "41 million euros" in hit.best_sentence


def test_rebuild_skips_unchanged_and_reembeds_only_changed_text(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    first = build(tmp_path / "index", articles)
    again = build(tmp_path / "index")
    assert (again.unchanged, again.added, again.updated, again.embedded) == (3, 0, 0, 0)

    bridge = articles / "harbour-bridge.txt"
    bridge.write_text(
        bridge.read_text().replace("41 million euros", "57 million euros"), encoding="utf-8"
    )
    edited = build(tmp_path / "index")
    assert (edited.updated, edited.unchanged) == (1, 2)
    # Only the edited paragraph's passage and sentence are new text.
    assert 0 < edited.embedded <= 2 < first.embedded
    hits = ask_paragraphs(tmp_path / "index", "What did mayor Duarte say?", k=1)
    assert hits == [("harbour-bridge.txt", 2)]
    library = Library(tmp_path / "index", embedder())
    assert "57 million" in library.ask("What did mayor Duarte say?", k=1).hits[0].text


def test_deleted_article_disappears_from_results(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    build(tmp_path / "index", articles)
    (articles / "orchard-frost.md").unlink()
    report = build(tmp_path / "index")
    assert report.removed == 1
    hits = ask_paragraphs(tmp_path / "index", "apricot harvest frost", k=10)
    assert all(article != "orchard-frost.md" for article, _ in hits)


def test_full_rebuild_reembeds_everything(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    first = build(tmp_path / "index", articles)
    full = build(tmp_path / "index", full=True)
    assert full.embedded == first.embedded
    assert full.updated == 3


def test_unreadable_files_are_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles", extra=False)
    (articles / "empty.txt").write_text("   \n\n  ", encoding="utf-8")
    (articles / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    events = list(build_index(tmp_path / "index", [articles], embedder=embedder()))
    skipped = {Path(e.path).name: e.reason for e in events if isinstance(e, Skipped)}
    assert set(skipped) == {"empty.txt", "image.txt"}
    assert "empty" in skipped["empty.txt"]
    assert "binary" in skipped["image.txt"]
    assert ask_paragraphs(tmp_path / "index", "What did Peskov say?", k=1)[0][0] == SAMPLE


def test_progress_is_reported_while_embedding(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    events = list(build_index(tmp_path / "index", [articles], embedder=embedder()))
    embedding = [e for e in events if isinstance(e, BuildProgress) and e.stage == "embedding"]
    assert embedding[-1].passages_done == embedding[-1].passages_total > 0
    assert embedding[-1].rate > 0


def test_build_over_an_emptied_folder_keeps_the_index(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    build(tmp_path / "index", articles)
    for path in articles.iterdir():
        path.unlink()
    with pytest.raises(UsageError, match="keeping the existing index of 3 articles"):
        build(tmp_path / "index")
    assert ask_paragraphs(tmp_path / "index", "What did Peskov say?", k=1)[0][0] == SAMPLE


def test_missing_folder_keeps_its_articles(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    build(tmp_path / "index", articles)
    articles.rename(tmp_path / "moved")
    report = build(tmp_path / "index")
    assert report.articles == 3
    assert any("folder not found" in s.reason for s in report.skipped)


def test_second_writer_is_refused_with_the_holder_pid(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles", extra=False)
    with WriterLock(tmp_path / "index"):
        with pytest.raises(BuildLocked, match=f"already running \\(pid {os.getpid()}\\)"):
            build(tmp_path / "index", articles)
    build(tmp_path / "index", articles)  # the lock is free again


def test_cancelled_build_keeps_the_previous_generation(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles", extra=False)
    build(tmp_path / "index", articles)
    make_library(articles, sample=False)
    cancel = threading.Event()
    events = build_index(tmp_path / "index", [], embedder=embedder(), cancel=cancel)
    with pytest.raises(BuildInterrupted, match="previous index kept"):
        for event in events:
            if isinstance(event, BuildProgress) and event.stage == "reading":
                cancel.set()
    snapshot = IndexSnapshot.open(tmp_path / "index")
    assert snapshot.info().articles == 1
    snapshot.close()


def test_index_records_model_identity(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles", extra=False)
    build(tmp_path / "index", articles)
    snapshot = IndexSnapshot.open(tmp_path / "index")
    assert snapshot.model_id == embedder().model_id
    assert "@" in snapshot.model_id
    snapshot.close()
