"""Property test of incremental builds: random edits to a library folder, then builds.

Incremental builds skip unchanged files, reuse stored vectors by text hash and delete
replaced articles in the commit transaction; each of those is a place where the index
can drift from the folder. A hypothesis state machine adds, edits, deletes and renames
articles (paragraphs drawn from a small pool, so the same text lives in several articles
and several places of one article), builds, and interrupts builds. After every step the
indexed (article key, paragraph ordinal, text) set must equal the folder as it was at the
last completed build, and every hit of a question must resolve to a real paragraph.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from library_fixtures import build, embedder

from index.build.run import BuildProgress, build_index
from index.errors import BuildInterrupted, UsageError
from index.sources.readers import read_articles
from index.store.schema import DB_NAME
from qa.library import Library

POOL = [
    "The harbour bridge reopened to traffic on Thursday after eight months of repairs.",
    "Mayor Ines Duarte thanked residents for their patience during the works.",
    "A late frost destroyed most of the apricot blossoms in the upper valley.",
    "Growers expect the apricot harvest to be less than half of last year's.",
    "The central bank raised its main interest rate by half a percentage point.",
    "Analysts said the decision had been widely expected by the markets.",
    "Heavy rain flooded several streets in the old town on Monday night.",
    "Firefighters pumped water out of basements until the early morning.",
    "The museum will show a collection of medieval maps from next spring.",
    "Tickets for the exhibition go on sale at the end of the month.",
    "The city council approved a plan to plant ten thousand trees.",
    "Critics said the plan did not say who would water the trees in summer.",
    "The national team won its qualifying match by two goals to one.",
    "The coach praised the young goalkeeper for two late saves.",
    "Train drivers will strike for two days next week over pay.",
    "Commuters were advised to work from home if they could.",
    "A new study found that city birds sing at a higher pitch than rural ones.",
    "Researchers recorded songs in twelve cities across three countries.",
    "The ferry company cut its timetable after passenger numbers fell.",
    "Fishermen complained that fuel prices had doubled since the spring.",
]

paragraph_lists = st.lists(st.sampled_from(POOL), min_size=1, max_size=4)
QUESTIONS = st.sampled_from(POOL)


def folder_state(folder: Path) -> set[tuple[str, int, str]]:
    """(key, ordinal, text) of every paragraph the folder holds, read as the build reads it."""
    state = set()
    for path in sorted(folder.rglob("*.txt")):
        for article in read_articles(path, folder):
            state.update((article.key, p.ordinal, p.text) for p in article.paragraphs)
    return state


def indexed_state(index_dir: Path) -> set[tuple[str, int, str]] | None:
    """The same triples as stored in SQLite; None when no index exists yet."""
    database = index_dir / DB_NAME
    if not database.exists():
        return None
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        if conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone() is None:
            return None
        rows = conn.execute(
            "SELECT a.key, p.ordinal, p.text FROM paragraphs p JOIN articles a "
            "ON a.id = p.article_id"
        ).fetchall()
    finally:
        conn.close()
    return {(key, ordinal, text) for key, ordinal, text in rows}


class LibraryMachine(RuleBasedStateMachine):
    """One library folder and its index; `committed` models what the index must hold."""

    base: Path = Path(tempfile.gettempdir())

    articles = Bundle("articles")

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(dir=self.base))
        self.folder = self.root / "articles"
        self.folder.mkdir()
        self.index_dir = self.root / "index"
        self.committed: set[tuple[str, int, str]] | None = None
        self.names = 0
        # Every write gets a distinct mtime a second apart: change detection by
        # (size, mtime) is the build's documented contract, not what is tested here.
        self.clock = 1_600_000_000 * 10**9

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _write(self, name: str, paragraphs: list[str]) -> None:
        path = self.folder / name
        path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        self.clock += 10**9
        os.utime(path, ns=(self.clock, self.clock))

    @initialize(target=articles, first=paragraph_lists, second=paragraph_lists)
    def start(self, first: list[str], second: list[str]) -> object:
        """Start from two articles, so most steps act on a non-empty library."""
        return multiple(self.add(first), self.add(second))

    @rule(target=articles, paragraphs=paragraph_lists)
    def add(self, paragraphs: list[str]) -> str:
        self.names += 1
        name = f"article-{self.names}.txt"
        self._write(name, paragraphs)
        return name

    @rule(name=articles, paragraphs=paragraph_lists)
    def edit(self, name: str, paragraphs: list[str]) -> None:
        if (self.folder / name).exists():
            self._write(name, paragraphs)

    @rule(name=consumes(articles))
    def delete(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)

    @rule(target=articles, name=consumes(articles))
    def rename(self, name: str) -> str:
        self.names += 1
        new = f"renamed-{self.names}.txt"
        if (self.folder / name).exists():
            (self.folder / name).rename(self.folder / new)
        return new

    @rule(question=QUESTIONS)
    def build(self, question: str) -> None:
        expected = folder_state(self.folder)
        try:
            build(self.index_dir, self.folder)
        except UsageError:
            # Only an empty folder may be refused, and the old index must stay as it was.
            assert not expected
            return
        self.committed = expected
        self.check_hits(question)

    @rule()
    def interrupted_build(self) -> None:
        cancel = threading.Event()
        events = build_index(self.index_dir, [self.folder], embedder=embedder(), cancel=cancel)
        try:
            for event in events:
                if isinstance(event, BuildProgress):
                    cancel.set()
        except BuildInterrupted as error:
            assert "previous index kept" in str(error)
        except UsageError:
            assert not folder_state(self.folder)
        else:
            raise AssertionError("a cancelled build completed")

    @invariant()
    def index_matches_last_completed_build(self) -> None:
        assert indexed_state(self.index_dir) == self.committed

    @rule(question=QUESTIONS)
    def ask(self, question: str) -> None:
        self.check_hits(question)

    def check_hits(self, question: str) -> None:
        """Every hit (and every extra citation) names a paragraph the index holds."""
        if not self.committed:
            return
        paragraphs = {(key, ordinal): text for key, ordinal, text in self.committed}
        library = Library(self.index_dir, embedder())
        try:
            answer = library.ask(question, k=5)
        finally:
            library.close()
        assert answer.hits
        for hit in answer.hits:
            own = paragraphs[(hit.citation.article, hit.citation.paragraph)]
            assert hit.text in own
            assert hit.text == own[hit.citation.start : hit.citation.end]
            for also in hit.also_cited:
                assert (also.article, also.paragraph) in paragraphs


@pytest.mark.slow
def test_index_follows_the_folder(tmp_path: Path) -> None:
    LibraryMachine.base = tmp_path
    run_state_machine_as_test(
        LibraryMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
