"""Issue 5, item 2: Ctrl-C and SIGTERM during a build exit 130 / 143, keep the old index.

A real `qa index build --full` runs in a subprocess; once it reports a stage (reading,
embedding or committing) it receives the signal. Its last stderr line must be exactly
"qa: build interrupted; previous index kept", and the index must then be exactly the
previous commit (or the new one, if the signal landed after the commit), and the next
build must succeed.
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
    ("signum", "code", "stage"),
    [
        (signal.SIGINT, 130, "embedding"),
        (signal.SIGTERM, 143, "embedding"),
        (signal.SIGTERM, 143, "committing"),
    ],
)
def test_signal_during_build_keeps_the_previous_index(
    tmp_path: Path, signum: int, code: int, stage: str
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
        env=os.environ.copy(),
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line.rstrip("\n"))
        if line.startswith(f"qa: {stage}"):
            process.send_signal(signum)
            break
    rest = process.stderr.read().splitlines()
    process.wait(timeout=60)
    lines += rest
    if process.returncode == 0:
        pytest.skip(f"the build finished before the signal: {lines}")
    assert process.returncode == code, lines
    assert lines[-1] == "qa: build interrupted; previous index kept", lines
    after = index_state(index_dir)
    assert after.generation in {old.generation, old.generation + 1}
    if after.generation == old.generation:
        assert old.same_content(after)
    report = build(index_dir)
    assert report.articles == 3 and report.generation == after.generation + 1
