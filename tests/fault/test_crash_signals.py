"""Issue 5, item 2: Ctrl-C and SIGTERM during a build exit 130 / 143, keep the old index.

A real `qa index build --full` runs in a subprocess that stops itself (SIGSTOP, through
the `QA_STOP_AT` fault point) inside a given stage: embedding, or the commit before its
vector file is written. The test waits until it has stopped, sends the signal and lets
it go on, so the signal lands in that stage every time, never after the build. Its last
stderr line must be exactly "qa: build interrupted; previous index kept", the index must
be exactly the previous commit, and the next build must succeed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fault_support import index_state, write_new, write_old
from library_fixtures import build

QA = [sys.executable, "-m", "qa"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "code", "point"),
    [
        (signal.SIGINT, 130, "embedding"),
        (signal.SIGTERM, 143, "embedding"),
        (signal.SIGTERM, 143, "before-vector-write"),
    ],
)
def test_signal_during_build_keeps_the_previous_index(
    tmp_path: Path, signum: int, code: int, point: str
) -> None:
    library = write_old(tmp_path / "library")
    index_dir = tmp_path / "index"
    build(index_dir, library)
    old = index_state(index_dir)
    write_new(library)
    process = subprocess.Popen(
        [*QA, "index", "build", "--full", "--index", str(index_dir)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QA_STOP_AT": point},
    )
    assert process.stderr is not None
    try:
        _, status = os.waitpid(process.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), status  # it stopped itself at the point, not ended
        process.send_signal(signum)
        process.send_signal(signal.SIGCONT)
        lines = process.stderr.read().splitlines()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, lines
    assert lines[-1] == "qa: build interrupted; previous index kept", lines
    after = index_state(index_dir)
    assert after.generation == old.generation and old.same_content(after)
    report = build(index_dir)
    assert report.articles == 3 and report.generation == old.generation + 1
