"""The build's extension point: a new file step slots in and its rows commit with the build.

`WordCounts` is a small real step of the kind quotes will be: it runs after the split
step, on every new or changed file and on no other, and contributes rows of its own
table (one per paragraph, referring to the paragraph's id) that the commit writes in
its one transaction, so they appear with the generation and fail with it. Nothing of
the build or the writer is changed for it: it is passed in `file_steps`, and its table
comes as one schema migration appended (`word_count_table`), as a real step's would.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from library_fixtures import build, make_library

from index.build.context import BuildContext, FileStep, PreparedFile, StepFactory
from index.build.faults import faults_from_environment
from index.build.run import FILE_STEPS
from index.build.split import SplitStep
from index.store import migrations
from index.store.file_rows import FileIds, Rows
from index.store.migrations import Migration
from index.store.snapshot import IndexSnapshot
from index.store.verify import verify_index
from index.store.writer import no_faults

TABLE = """CREATE TABLE word_counts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    paragraph_id INTEGER NOT NULL REFERENCES paragraphs (id) ON DELETE CASCADE,
    words INTEGER NOT NULL
);"""


class WordCounts(FileStep):
    name = "word-counts"

    def __init__(self, ctx: BuildContext, seen: list[tuple[str, int]], bad: bool = False) -> None:
        super().__init__(ctx)
        self.seen = seen
        self.bad = bad

    def process(self, file: PreparedFile) -> None:
        self.seen.append((Path(file.path).name, sum(len(chunks) for chunks in file.chunks)))
        counts = [[(p.ordinal, len(p.text.split())) for p in a.paragraphs] for a in file.articles]

        def rows(ids: FileIds) -> Iterator[Rows]:
            values = [
                (10**9 if self.bad else ids.paragraphs[i][ordinal], words)
                for i, per_article in enumerate(counts)
                for ordinal, words in per_article
            ]
            yield Rows("word_counts", ("paragraph_id", "words"), values)

        file.rows.append(rows)


def with_word_counts(seen: list[tuple[str, int]], *, bad: bool = False) -> list[StepFactory]:
    at = FILE_STEPS.index(SplitStep) + 1
    return [*FILE_STEPS[:at], partial(WordCounts, seen=seen, bad=bad), *FILE_STEPS[at:]]


@pytest.fixture
def word_count_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """The step's table, as the next schema migration."""
    latest = migrations.MIGRATIONS[-1].number
    table = Migration(latest + 1, "word counts", TABLE, tables=("word_counts",))
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, table))


def query(index_dir: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(index_dir / "library.sqlite")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def word_counts(index_dir: Path) -> dict[tuple[str, int], int]:
    """Words per (file name, paragraph ordinal), from the committed rows."""
    rows = query(
        index_dir,
        "SELECT a.path, p.ordinal, w.words FROM word_counts w "
        "JOIN paragraphs p ON p.id = w.paragraph_id JOIN articles a ON a.id = p.article_id",
    )
    assert query(index_dir, "SELECT COUNT(*) FROM word_counts") == [(len(rows),)]
    return {(Path(path).name, ordinal): words for path, ordinal, words in rows}


def paragraph_words(index_dir: Path) -> dict[tuple[str, int], int]:
    """Words per (file name, paragraph ordinal), counted from the indexed paragraphs."""
    rows = query(
        index_dir,
        "SELECT a.path, p.ordinal, p.text FROM paragraphs p JOIN articles a ON a.id = p.article_id",
    )
    return {(Path(path).name, ordinal): len(text.split()) for path, ordinal, text in rows}


def test_a_new_step_runs_on_changed_files_only_and_its_rows_commit_with_them(
    tmp_path: Path, word_count_table: None
) -> None:
    library = make_library(tmp_path / "library")
    index_dir = tmp_path / "index"
    seen: list[tuple[str, int]] = []
    first = build(index_dir, library, file_steps=with_word_counts(seen))
    names = sorted(p.name for p in library.iterdir())
    assert sorted(name for name, _ in seen) == names
    assert all(chunks > 0 for _, chunks in seen)  # after the split step: it sees the chunks
    before = word_counts(index_dir)
    assert before == paragraph_words(index_dir)
    assert IndexSnapshot.open(index_dir).generation == first.generation
    assert verify_index(index_dir) == []  # the content digest covers the step's rows

    harbour = library / "harbour-bridge.txt"
    harbour.write_text(
        harbour.read_text("utf-8") + "\n\nTolls return next spring, the council said.", "utf-8"
    )
    frost = library / "orchard-frost.md"
    os.utime(frost, ns=(frost.stat().st_atime_ns, frost.stat().st_mtime_ns + 10**9))
    seen.clear()
    second = build(index_dir, file_steps=with_word_counts(seen))
    assert [name for name, _ in seen] == ["harbour-bridge.txt"]  # not touched or unchanged ones
    assert (second.generation, second.updated, second.unchanged) == (first.generation + 1, 1, 2)
    counts = word_counts(index_dir)
    assert counts == paragraph_words(index_dir)  # the old version's rows went with it
    harbour_rows = [(o, n) for (name, o), n in sorted(counts.items()) if name == harbour.name]
    assert len(harbour_rows) == sum(name == harbour.name for name, _ in before) + 1
    assert harbour_rows[-1][1] == 7  # "Tolls return next spring, the council said."
    assert verify_index(index_dir) == []


def test_a_step_whose_rows_fail_fails_the_whole_commit(
    tmp_path: Path, word_count_table: None
) -> None:
    library = make_library(tmp_path / "library")
    index_dir = tmp_path / "index"
    first = build(index_dir, library, file_steps=with_word_counts([]))
    before = word_counts(index_dir)
    (library / "harbour-bridge.txt").write_text("Title: Changed\n\nNew text here.\n", "utf-8")
    with pytest.raises(sqlite3.IntegrityError):
        build(index_dir, file_steps=with_word_counts([], bad=True))
    assert IndexSnapshot.open(index_dir).generation == first.generation
    assert word_counts(index_dir) == before
    assert verify_index(index_dir) == []


def test_the_fault_hook_is_passed_in_and_called_at_each_commit_step(tmp_path: Path) -> None:
    reached: list[str] = []
    build(tmp_path / "index", make_library(tmp_path / "library"), fault=reached.append)
    assert reached == [
        "embedding",
        "before-vector-write",
        "after-vector-rename",
        "before-commit",
        "after-commit",
    ]
    assert faults_from_environment({}) is no_faults
    assert faults_from_environment({"QA_CRASH_AT": "before-commit"}) is not no_faults
