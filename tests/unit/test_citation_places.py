"""Citations say where a paragraph starts in its file: the 1-based line an editor shows
(the record's line for JSONL, none for HTML), stored at build time; an index built before
lines were stored answers as before, and its next build adds them (migration 3)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import build, embedder, make_library

from index.sources.paragraphs import build_article
from index.sources.readers import read_articles
from index.store import migrations
from index.store.verify import verify_index
from qa.answer import citation_of
from qa.library import Library

ARTICLE = (
    "Title: Harbour bridge\r\nSource: Herald\r\n\r\n"
    "The harbour bridge reopened\r\nto traffic on Thursday.\r\n\r\n\r\n"
    "# Mayor Ines Duarte thanked residents.\r\n\r\n"
    "Ferries lost a third of their passengers.\r\n"
)


def places(text: str, **options: object) -> list[tuple[int, int | None, str]]:
    article = build_article(text, key="k", path="/k", fallback_title="K", **options)  # type: ignore[arg-type]
    return [(p.ordinal, p.line, p.text[:20]) for p in article.paragraphs]


def test_a_paragraph_cites_the_line_it_starts_on_as_an_editor_counts_lines() -> None:
    # Front matter keeps its ordinal (0) and its lines; CRLF ends one line, as in an editor.
    assert places(ARTICLE, markdown=True) == [
        (1, 4, "The harbour bridge r"),
        (2, 8, "Mayor Ines Duarte th"),
        (3, 10, "Ferries lost a third"),
    ]
    lines = "\n\nFirst line.\nSecond line.\n   \nThird line.\n"
    assert places("One.\nTwo.\nThree.") == [(0, 1, "One."), (1, 2, "Two."), (2, 3, "Three.")]
    assert places(lines) == [(0, 3, "First line. Second l"), (1, 6, "Third line.")]
    assert [line for _, line, _ in places(ARTICLE, lines=None)] == [None, None, None]


def test_a_text_file_and_a_jsonl_record_cite_file_lines_html_none(tmp_path: Path) -> None:
    text = tmp_path / "bridge.md"
    text.write_bytes(ARTICLE.encode())
    [article] = read_articles(text, tmp_path)
    file_lines = text.read_text(encoding="utf-8").splitlines()
    for paragraph in article.paragraphs:
        assert paragraph.line is not None and paragraph.page is None
        assert paragraph.text.split()[0] in file_lines[paragraph.line - 1]

    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        '{"title": "A", "text": "Ferry A sails.\\n\\nIt is late."}\n\n'
        "not json\n"
        '{"title": "B", "text": "Ferry B sails."}\n',
        encoding="utf-8",
    )
    first, second = read_articles(feed, tmp_path)
    assert [p.line for p in first.paragraphs] == [1, 1]
    assert [p.line for p in second.paragraphs] == [4]

    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Bridge</title></head><body><article><p>"
        + "The harbour bridge reopened to traffic after eight months of repairs. " * 3
        + "</p></article></body></html>",
        encoding="utf-8",
    )
    [html] = read_articles(page, tmp_path)
    assert html.paragraphs and all(p.line is None for p in html.paragraphs)


def stored_lines(index_dir: Path) -> list[tuple[int, int | None]]:
    conn = sqlite3.connect(index_dir / "library.sqlite")
    try:
        return conn.execute("SELECT ordinal, line FROM paragraphs ORDER BY id").fetchall()
    finally:
        conn.close()


def cited(index_dir: Path, question: str) -> tuple[int, int | None, str]:
    library = Library(index_dir, embedder())
    try:
        citation = library.ask(question, k=1).hits[0].citation
    finally:
        library.close()
    return citation.paragraph, citation.line, citation.location()


def test_an_index_built_before_lines_answers_then_its_next_build_adds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    article = folder / "bridge.md"
    article.write_bytes(ARTICLE.encode())
    index_dir = tmp_path / "index"
    with monkeypatch.context() as old_qa:
        old_qa.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
        build(index_dir, folder)
    question = "Who thanked the residents?"
    # Readable before the migration: answered, cited without a line, pointing at the file.
    assert cited(index_dir, question) == (2, None, str(article))

    report = build(index_dir)
    assert (report.updated, report.embedded) == (1, 0)  # read again, nothing re-embedded
    assert cited(index_dir, question) == (2, 8, f"{article}:8")
    assert stored_lines(index_dir) == [(1, 4), (2, 8), (3, 10)]
    assert verify_index(index_dir) == []


def test_quotes_are_cited_with_their_line_once_the_index_has_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample has one paragraph per line: paragraph N starts on line N + 1."""
    index_dir = tmp_path / "index"
    with monkeypatch.context() as old_qa:
        old_qa.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
        build(index_dir, make_library(tmp_path / "articles", extra=False))

    def quoted() -> list[tuple[int, int | None]]:
        library = Library(index_dir, embedder())
        try:
            answer = library.ask("What did Peskov say?", k=1)
        finally:
            library.close()
        return [(c.paragraph, c.line) for c in map(citation_of, answer.quotes)]

    assert quoted() == [(1, None), (3, None)]
    build(index_dir)
    assert quoted() == [(1, 2), (3, 4)]


def test_a_build_killed_after_the_upgrade_leaves_an_index_that_answers_and_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade commits on its own; a build killed before its own commit leaves
    version 3 without lines yet (every file still marked to read again), answering as
    before; the next build completes the lines."""
    folder = tmp_path / "articles"
    folder.mkdir()
    article = folder / "bridge.md"
    article.write_bytes(ARTICLE.encode())
    index_dir = tmp_path / "index"
    with monkeypatch.context() as old_qa:
        old_qa.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
        build(index_dir, folder)
    killed = subprocess.run(
        [sys.executable, "-m", "qa", "index", "build", "--index", str(index_dir)],
        capture_output=True,
        text=True,
        env={**os.environ, "QA_CRASH_AT": "before-commit"},
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    conn = sqlite3.connect(index_dir / "library.sqlite")
    try:
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    finally:
        conn.close()
    assert version == (str(migrations.latest_version()),)
    question = "Who thanked the residents?"
    assert cited(index_dir, question) == (2, None, str(article))
    assert verify_index(index_dir) == []
    assert build(index_dir).embedded == 0
    assert cited(index_dir, question) == (2, 8, f"{article}:8")
    assert verify_index(index_dir) == []
