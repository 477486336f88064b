"""Issue 5, item 5: one writer, many readers.

A second build while one runs is refused at once, naming the holder's pid; a writer
killed with the lock held does not block the next; readers asking in a loop through a
series of rebuilds never fail and every answer comes from one committed generation.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from fault_support import write_old
from library_fixtures import build

QA = [sys.executable, "-m", "qa"]


def test_second_build_is_refused_at_once_and_a_killed_writer_blocks_nothing(
    tmp_path: Path,
) -> None:
    library = write_old(tmp_path / "library")
    index_dir = tmp_path / "index"
    build(index_dir, library)
    first = subprocess.Popen(
        [*QA, "index", "build", "--full", "--index", str(index_dir)],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert first.stderr is not None
    try:
        for line in first.stderr:
            if line.startswith("qa: embedding"):
                break
        # Paused inside its build, still holding the lock, and leaving the CPU to us.
        first.send_signal(signal.SIGSTOP)
        # Had the second build waited for the lock, it would wait for ever (the first is
        # stopped): the timeout turns that into a failure, with no clock in the assertion.
        second = subprocess.run(
            [*QA, "index", "build", "--index", str(index_dir)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 1
        assert second.stderr.splitlines()[-1].startswith(
            f"qa: a build is already running (pid {first.pid})"
        ), second.stderr
    finally:
        first.kill()
        first.wait()
    third = subprocess.run(
        [*QA, "index", "build", "--index", str(index_dir)], capture_output=True, text=True
    )
    assert third.returncode == 0, third.stderr


def _write_generation(library: Path, tag: int) -> None:
    """Every paragraph of every article carries the tag of the version it belongs to."""
    for name, subject in (("alpha.txt", "harbour"), ("beta.txt", "orchard"), ("gamma.txt", "lock")):
        (library / name).write_text(
            f"Version v{tag} report on the {subject}: work continues.\n\n"
            f"The {subject} committee met again for version v{tag} and agreed a plan.",
            encoding="utf-8",
        )


def test_readers_see_whole_generations_through_rebuilds(tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    index_dir = tmp_path / "index"
    _write_generation(library, 1)
    build(index_dir, library)
    committed = {1}
    readers = [
        subprocess.Popen(
            [*QA, "ask", "-", "--jsonl", "-k", "6", "--index", str(index_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answers: list[tuple[int, list[str]]] = []
    stop = threading.Event()

    def ask_loop(reader: subprocess.Popen) -> None:
        assert reader.stdin is not None and reader.stdout is not None
        while not stop.is_set():
            # Every generation committed before the question is sent must be seen by it.
            newest_committed = max(committed)
            reader.stdin.write("What did the committee agree?\n")
            reader.stdin.flush()
            hit_texts = [h["text"] for h in json.loads(reader.stdout.readline())["hits"]]
            answers.append((newest_committed, hit_texts))

    threads = [threading.Thread(target=ask_loop, args=(r,)) for r in readers]
    for thread in threads:
        thread.start()

    def wait_for_answers(count: int) -> None:
        deadline = time.monotonic() + 120
        while len(answers) < count:
            assert time.monotonic() < deadline, f"readers stalled at {len(answers)} answers"
            time.sleep(0.05)

    try:
        wait_for_answers(2)  # both readers have loaded the model and answered once
        for tag in range(2, 6):
            _write_generation(library, tag)
            before = len(answers)
            build(index_dir)
            committed.add(tag)
            wait_for_answers(before + 4)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        for reader in readers:
            assert reader.stdin is not None
            reader.stdin.close()
            reader.wait(timeout=60)
    for reader in readers:
        assert reader.returncode == 0
        assert reader.stderr is not None and reader.stderr.read() == ""
    seen = set()
    for newest_committed, texts in answers:
        tags = {word for text in texts for word in text.split() if word.startswith("v")}
        tags = {t for t in tags if t[1:].isdigit()}
        assert len(tags) == 1, texts  # one generation per answer, never a mix
        answered_from = int(next(iter(tags))[1:])
        assert answered_from in committed
        assert answered_from >= newest_committed, (answered_from, newest_committed)
        seen |= tags
    assert len(answers) >= 10 and len(seen) >= 3, (len(answers), seen)
    print(f"\n{len(answers)} answers by 2 reader processes over generations {sorted(seen)}")
