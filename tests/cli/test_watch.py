"""`qa index watch`: a file added, changed or removed is indexed within seconds, one build
at a time (a build holding the lock is waited for, not lost), and Ctrl-C ends the watch
with 130 and the last completed build kept. The real command, model, SQLite and FAISS."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from library_fixtures import build, make_library

from index.store.lock import WriterLock

PICKED_UP_SECONDS = 60
"""Bound on seeing a change indexed: a few seconds of watching and debounce, plus a build
(the model encoding a paragraph) on a machine shared with other test processes."""


class Watch:
    """A `qa index watch` process whose stderr lines are collected as they come."""

    def __init__(self, index_dir: Path) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qa", "index", "watch", "--index", str(index_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        assert self.process.stderr is not None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, words: str, after: int = 0) -> int:
        """Wait for a stderr line holding `words` past line `after`; its number."""
        deadline = time.monotonic() + PICKED_UP_SECONDS
        while time.monotonic() < deadline:
            for number, line in enumerate(self.lines[after:], start=after):
                if words in line:
                    return number
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no line with {words!r}; stderr so far: {self.lines}")


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Watch, Path, Path]]:
    folder = make_library(tmp_path / "articles")
    index_dir = tmp_path / "index"
    build(index_dir, folder)
    watch = Watch(index_dir)
    try:
        yield watch, folder, index_dir
    finally:
        if watch.process.poll() is None:
            watch.process.kill()
        watch.process.wait(timeout=30)


def indexed_titles(index_dir: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{index_dir / 'library.sqlite'}?mode=ro", uri=True)
    try:
        return {title for (title,) in conn.execute("SELECT title FROM articles")}
    finally:
        conn.close()


def eventually(check: Callable[[], bool], what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > PICKED_UP_SECONDS:
            raise AssertionError(f"not seen within {PICKED_UP_SECONDS}s: {what}")
        time.sleep(0.1)
    return time.monotonic() - started


def test_a_new_file_is_indexed_within_seconds_and_ctrl_c_exits_130(
    watched: tuple[Watch, Path, Path],
) -> None:
    watch, folder, index_dir = watched
    seen = watch.wait_for("for changes (Ctrl-C stops)")
    (folder / "zeppelin.txt").write_text(
        "Title: Zeppelin over the lake\n\nThe zeppelin crossed the lake at dawn.\n",
        encoding="utf-8",
    )
    eventually(lambda: "Zeppelin over the lake" in indexed_titles(index_dir), "the new article")
    report = watch.wait_for("indexed 4 articles", after=seen)
    assert "1 added" in watch.lines[report]

    (folder / "orchard-frost.md").unlink()
    eventually(lambda: "Late frost hits orchards" not in indexed_titles(index_dir), "removal")

    watch.process.send_signal(signal.SIGINT)
    assert watch.process.wait(timeout=30) == 130
    assert watch.process.stdout is not None and watch.process.stdout.read() == ""
    watch._reader.join(timeout=10)
    assert watch.lines[-1] == "qa: stopped watching; the index holds the last completed build"
    assert not any("Traceback" in line for line in watch.lines)


def test_changes_during_another_build_wait_for_it_and_are_not_lost(
    watched: tuple[Watch, Path, Path],
) -> None:
    watch, folder, index_dir = watched
    seen = watch.wait_for("for changes (Ctrl-C stops)")
    with WriterLock(index_dir):  # as a `qa index build` elsewhere holds it
        (folder / "zeppelin.txt").write_text("The zeppelin crossed the lake.\n", encoding="utf-8")
        waiting = watch.wait_for("not indexed yet: a build is already running", after=seen)
        assert "Zeppelin" not in indexed_titles(index_dir)
    eventually(lambda: "Zeppelin" in indexed_titles(index_dir), "the article after the lock")
    assert watch.wait_for("1 added", after=waiting) > waiting
