"""Schema migrations: an index built by an older qa is upgraded in place by the next build,
or refused in one line naming the fix; never called "newer". Real SQLite, model, FAISS.

An older index is made honestly: built with today's list (version LATEST), then read by a
qa whose list has test-only migrations appended (LATEST + 1 or + 2)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import build, embedder, make_library

from index.errors import SchemaTooNew, SchemaTooOld
from index.store import migrations
from index.store.migrations import Migration
from index.store.schema import connect, content_digest, write_meta
from index.store.snapshot import IndexSnapshot
from index.store.verify import verify_index
from qa.library import Library

QUESTIONS = ("What did mayor Duarte say?", "How much of the apricot harvest is left?")

LATEST = migrations.latest_version()
"""Today's schema version, before any test appends to the list."""

NOTES = Migration(
    LATEST + 1,
    "notes",
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, paragraph_id INTEGER NOT NULL, text TEXT);\n"
    "CREATE INDEX notes_paragraph ON notes (paragraph_id);\n",
    tables=("notes",),
)


def _count_words(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE paragraphs ADD COLUMN words INTEGER NOT NULL DEFAULT 0")
    conn.execute("UPDATE paragraphs SET words = length(text) - length(replace(text, ' ', '')) + 1")


WORDS = Migration(LATEST + 2, "words per paragraph", _count_words)


def answers(index_dir: Path) -> list[tuple[str, int, str]]:
    library = Library(index_dir, embedder())
    try:
        return [
            (hit.citation.article, hit.citation.paragraph, hit.best_sentence)
            for question in QUESTIONS
            for hit in library.ask(question, k=3).hits
        ]
    finally:
        library.close()


def stored(index_dir: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(index_dir / "library.sqlite")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def version(index_dir: Path) -> str:
    return stored(index_dir, "SELECT value FROM meta WHERE key = 'schema_version'")[0][0]


@pytest.fixture
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    build(folder, make_library(tmp_path / "articles"))
    assert version(folder) == str(LATEST)
    return folder


def with_migrations(monkeypatch: pytest.MonkeyPatch, *extra: Migration) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, *extra))


def test_an_older_index_is_migrated_by_the_next_build_and_answers_the_same(
    index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = answers(index)
    generation = stored(index, "SELECT value FROM meta WHERE key = 'generation'")
    with_migrations(monkeypatch, NOTES, WORDS)
    with pytest.raises(SchemaTooOld) as refused:
        answers(index)  # a reader never migrates; it names the fix
    message = str(refused.value)
    assert "qa index build" in message and "newer" not in message and "\n" not in message
    assert refused.value.exit_code == 3

    report = build(index)
    assert (report.unchanged, report.embedded) == (3, 0)
    assert version(index) == str(LATEST + 2)
    assert stored(index, "SELECT COUNT(*) FROM notes") == [(0,)]
    assert stored(index, "SELECT MIN(words) FROM paragraphs")[0][0] > 1
    assert answers(index) == before
    assert verify_index(index) == []
    # The migration itself committed no generation: the build after it did, as usual.
    assert int(stored(index, "SELECT value FROM meta WHERE key = 'generation'")[0][0]) == (
        int(generation[0][0]) + 1
    )


def test_a_migration_alone_keeps_the_index_sound(
    index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migrated (by a build's first step) but not yet rebuilt: the digest was recorded again."""
    before = answers(index)
    with_migrations(monkeypatch, NOTES, WORDS)
    connect(index, create=True).close()
    assert version(index) == str(LATEST + 2)
    assert verify_index(index) == []
    snapshot = IndexSnapshot.open(index)
    snapshot.close()
    assert answers(index) == before


def test_a_migration_that_fails_midway_leaves_the_old_version_answering(
    index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = answers(index)
    broken = Migration(
        LATEST + 1,
        "notes, then a statement that fails",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);\n"
        "INSERT INTO notes (text) SELECT text FROM paragraphs;\n"
        "CREATE INDEX notes_missing ON no_such_table (text);\n",
        tables=("notes",),
    )
    with_migrations(monkeypatch, broken)
    with pytest.raises(SchemaTooOld) as failed:
        build(index)
    assert "unchanged" in str(failed.value) and "--full" in str(failed.value)
    assert version(index) == str(LATEST)
    assert stored(index, "SELECT name FROM sqlite_schema WHERE name = 'notes'") == []
    monkeypatch.undo()
    assert answers(index) == before
    assert verify_index(index) == []


def test_a_reader_answers_an_older_index_when_no_pending_migration_is_needed_to_read(
    index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = answers(index)
    optional = Migration(LATEST + 1, "notes", NOTES.apply, tables=("notes",), readable_before=True)
    with_migrations(monkeypatch, optional)
    assert answers(index) == before
    assert verify_index(index) == []
    assert version(index) == str(LATEST)


def test_a_newer_schema_still_says_upgrade(index: Path) -> None:
    conn = sqlite3.connect(index / "library.sqlite")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(LATEST + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="upgrade article-qa"):
        IndexSnapshot.open(index)
    with pytest.raises(SchemaTooNew, match="upgrade article-qa"):
        build(index)
    assert version(index) == str(LATEST + 1)


def test_a_migration_that_cannot_run_in_place_asks_for_a_full_rebuild_which_makes_it(
    index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = answers(index)
    rechunk = Migration(LATEST + 1, "new chunking", NOTES.apply, tables=("notes",), in_place=False)
    with_migrations(monkeypatch, rechunk)
    for attempt in (lambda: answers(index), lambda: build(index)):
        with pytest.raises(SchemaTooOld) as refused:
            attempt()
        assert "qa index build --full" in str(refused.value)
        assert "newer" not in str(refused.value)
    assert version(index) == str(LATEST)
    report = build(index, full=True)  # the folders it covered are kept
    assert report.articles == 3 and report.embedded > 0
    assert version(index) == str(LATEST + 1)
    assert answers(index) == before
    assert verify_index(index) == []


def qa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qa", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )


def test_a_version_older_than_any_migration_is_refused_in_one_line_then_rebuilt(
    index: Path,
) -> None:
    """Schema version 0 predates the oldest migration (OLDEST_MIGRATABLE = 1): through the
    real `qa` command, asking and building say to rebuild, and `--full` does."""
    before = answers(index)
    conn = sqlite3.connect(index / "library.sqlite")
    conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    # Record a digest of the version-0 content, so the index is old, not damaged.
    conn = sqlite3.connect(index / "library.sqlite", isolation_level=None)
    write_meta(conn, {"content_sha256": content_digest(conn)})
    conn.close()
    for args in (("ask", "What did mayor Duarte say?"), ("index", "build")):
        result = qa(*args, "--index", str(index))
        assert result.returncode == 3, result.stderr
        line = result.stderr.strip()
        assert "\n" not in line and "Traceback" not in line, line
        assert "schema version 0" in line and "qa index build --full" in line, line
        assert "newer" not in line, line
    assert qa("index", "build", "--full", "--index", str(index)).returncode == 0
    assert version(index) == str(LATEST)
    assert answers(index) == before
    assert qa("index", "verify", "--index", str(index)).returncode == 0
