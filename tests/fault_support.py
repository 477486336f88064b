"""Shared pieces of the fault-injection tests: a two-version corpus, the fork-server
driver, and an `IndexState` that says exactly which committed generation an index holds.

"Exactly the previous commit or exactly the new one" is checked by comparing an
`IndexState` (article set, counts, answers to fixed questions) against references
computed once for the old and the new version of the corpus.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from library_fixtures import EXTRA_ARTICLES, embedder, make_library

from index.store.schema import connect, read_meta
from index.store.snapshot import IndexSnapshot
from qa.library import Library

DRIVER = Path(__file__).parent / "fault" / "fault_driver.py"

QUESTIONS = (
    "What did Peskov say?",
    "What did mayor Duarte say?",
    "apricot harvest frost",
    "Who repaired the river lock?",
)

NEW_ARTICLE = (
    "Title: River lock repaired\nSource: Coastal Herald\nPublished: 2023-05-06\n\n"
    "Engineers from the canal authority repaired the old river lock in two weeks.\n\n"
    "The lock keeper said barges can pass again from Monday morning.\n\n"
    "Repairs cost far less than the harbour bridge works of 2021."
)


def write_old(folder: Path) -> Path:
    """Version 1 of the library: the sample article and two short ones."""
    return make_library(folder)


def write_new(folder: Path) -> Path:
    """Version 2: one article edited, one deleted, one added."""
    bridge = folder / "harbour-bridge.txt"
    bridge.write_text(
        EXTRA_ARTICLES["harbour-bridge.txt"].replace("41 million euros", "57 million euros")
        + "\n\nThe next inspection of the cables is due in 2026.",
        encoding="utf-8",
    )
    (folder / "orchard-frost.md").unlink()
    (folder / "river-lock.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    return folder


@dataclass(frozen=True)
class IndexState:
    """What a committed generation answers; equal states mean the same index."""

    generation: int
    articles: frozenset[str]
    chunks: int
    vectors: int
    answers: tuple[tuple[tuple[str, int, int, int, str], ...], ...]
    scores: tuple[tuple[float, ...], ...]

    def same_content(self, other: IndexState) -> bool:
        close = all(
            len(a) == len(b) and all(abs(x - y) < 1e-5 for x, y in zip(a, b, strict=True))
            for a, b in zip(self.scores, other.scores, strict=True)
        )
        return (self.articles, self.chunks, self.vectors, self.answers) == (
            other.articles,
            other.chunks,
            other.vectors,
            other.answers,
        ) and close


def index_state(index_dir: Path) -> IndexState:
    """Load the index as a reader does and record what it answers."""
    snapshot = IndexSnapshot.open(index_dir, embedder().model_id)
    try:
        articles = frozenset(key for (key,) in snapshot._conn.execute("SELECT key FROM articles"))
        chunks = snapshot._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        vectors = int(snapshot.vectors.ntotal)
        generation = snapshot.generation
    finally:
        snapshot.close()
    library = Library(index_dir, embedder())
    try:
        answers = [library.ask(q, k=5) for q in QUESTIONS]
    finally:
        library.close()
    return IndexState(
        generation=generation,
        articles=articles,
        chunks=chunks,
        vectors=vectors,
        answers=tuple(
            tuple(
                (h.citation.article, h.citation.paragraph, h.citation.start, h.citation.end, h.text)
                for h in a.hits
            )
            for a in answers
        ),
        scores=tuple(tuple(h.score for h in a.hits) for a in answers),
    )


def leftovers(index_dir: Path) -> set[str]:
    """Files in an index folder that its committed generation does not account for."""
    conn = connect(index_dir)
    try:
        generation = int(read_meta(conn)["generation"])
    finally:
        conn.close()
    expected = {
        "library.sqlite",
        "library.sqlite-wal",
        "library.sqlite-shm",
        "write.lock",
        f"vectors-{generation}.faiss",
        f"vectors-{generation - 1}.faiss",
    }
    return {p.name for p in index_dir.iterdir()} - expected


def restore(pristine: Path, index_dir: Path) -> None:
    shutil.rmtree(index_dir, ignore_errors=True)
    shutil.copytree(pristine, index_dir)


class Driver:
    """The fork server of `fault_driver.py`, started once per test module."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        hello = json.loads(self._line())
        assert hello["ready"], hello
        self.model_id = hello["model_id"]

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("fault driver exited")
        return line

    def build(
        self,
        index_dir: Path,
        paths: list[Path] | None = None,
        *,
        kill_after: float | None = None,
        crash_at: str | None = None,
    ) -> dict:
        request = {
            "index": str(index_dir),
            "paths": [str(p) for p in paths or []],
            "kill_after": kill_after,
            "crash_at": crash_at,
        }
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return json.loads(self._line())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
