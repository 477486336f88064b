"""Issue 5, item 3: a full disk fails the build with one "no space" line; the old index stays.

The index lives on a small tmpfs (we run as root in CI and here); a filler file leaves
a chosen number of bytes free, from none to more than a build needs, so ENOSPC hits
the build at many different writes: the embedding cache, the SQLite commit, the vector
file. After each failure the previous index must still load and answer exactly as
before, and with space freed the next build must succeed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fault_support import index_state, write_new, write_old
from library_fixtures import build

from index.errors import NoSpace

FREE_BYTES = (0, 4096, 16384, 40_000, 80_000, 120_000, 160_000, 240_000, 400_000)


@pytest.fixture
def small_disk(tmp_path: Path) -> Path:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(mount: Path, leave: int) -> Path:
    filler = mount / "filler"
    stat = os.statvfs(mount)
    size = max(0, stat.f_bavail * stat.f_frsize - leave)
    with open(filler, "wb") as handle:
        try:
            handle.write(b"\0" * size)
        except OSError:
            pass
    return filler


@pytest.mark.slow
def test_full_disk_fails_the_build_and_keeps_the_index(small_disk: Path, tmp_path: Path) -> None:
    library = write_old(tmp_path / "library")
    pristine = small_disk / "pristine"
    build(pristine, library)
    old = index_state(pristine)
    write_new(library)
    outcomes = []
    index_dir = small_disk / "index"
    for free in FREE_BYTES:
        shutil.rmtree(index_dir, ignore_errors=True)
        shutil.copytree(pristine, index_dir)
        filler = _fill(small_disk, free)
        try:
            report = build(index_dir)
            outcomes.append((free, f"built generation {report.generation}"))
        except NoSpace as error:
            assert "no space" in str(error) and "\n" not in str(error)
            outcomes.append((free, "NoSpace"))
            filler.unlink()
            state = index_state(index_dir)
            assert state.generation == old.generation and old.same_content(state)
        finally:
            filler.unlink(missing_ok=True)
        assert build(index_dir).articles == 3  # with space again, the next build succeeds
    print(f"\nfree bytes -> outcome: {outcomes}")
    assert sum(1 for _, o in outcomes if o == "NoSpace") >= 3


@pytest.mark.slow
def test_cli_says_no_space_in_one_line(small_disk: Path, tmp_path: Path) -> None:
    library = write_old(tmp_path / "library")
    index_dir = small_disk / "index"
    build(index_dir, library)
    write_new(library)
    _fill(small_disk, 0)
    result = subprocess.run(
        [sys.executable, "-m", "qa", "index", "build", "--index", str(index_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("qa: no space left on device"), result.stderr
    assert "previous index kept" in last
    (small_disk / "filler").unlink()
    asked = subprocess.run(
        [sys.executable, "-m", "qa", "ask", "What did Peskov say?", "--index", str(index_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert asked.returncode == 0, asked.stderr
