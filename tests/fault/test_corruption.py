"""Issue 5, item 4: damage on disk is caught when the index is loaded.

Each case is a copy of a sound index with one fault: the vector file truncated, a bit
flipped, garbage appended, or replaced by another generation's file; the SQLite file
likewise. All cases are loaded and asked by one subprocess (`fault_loader.py`), so a
crash in any load would show as that process dying on that case.

Vector file faults must always be refused (its sha256 is in `meta`). SQLite faults
must be refused or provably harmless: the answers and article count equal the sound
index's. Harmless flips land in bytes no b-tree reads (free space in a page, the
unused tail of a cell area); everything that answers read is covered by the content
digest (`index.store.schema.content_digest`) recomputed on every load.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from fault_support import write_new, write_old
from library_fixtures import build

LOADER = Path(__file__).with_name("fault_loader.py")
SEED = 5


def _flip(path: Path, offset: int, bit: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([byte ^ (1 << bit)]))


def _truncate(path: Path, size: int) -> None:
    os.truncate(path, size)


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(data)


def _sound_index(tmp_path: Path) -> tuple[Path, str, str]:
    library = write_old(tmp_path / "library")
    index_dir = tmp_path / "sound"
    build(index_dir, library)
    write_new(library)
    build(index_dir)  # two generations, so an older vector file exists
    conn = sqlite3.connect(index_dir / "library.sqlite")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    conn.close()
    for extra in ("library.sqlite-wal", "library.sqlite-shm"):
        (index_dir / extra).unlink(missing_ok=True)
    older = f"vectors-{int(meta['generation']) - 1}.faiss"
    return index_dir, meta["vector_file"], older


def _cases(index_dir: Path, vector: str, older: str) -> list[tuple[str, str, object]]:
    """(kind, file, fault) triples; fault is applied by `_apply`."""
    rng = random.Random(SEED)
    cases: list[tuple[str, str, object]] = [("sound", "", None)]
    vsize = (index_dir / vector).stat().st_size
    dsize = (index_dir / "library.sqlite").stat().st_size
    page = 4096
    for size in sorted({0, 1, 8, 64, vsize // 2, vsize - 1, *rng.sample(range(vsize), 12)}):
        cases.append(("truncate", vector, size))
    for offset in rng.sample(range(vsize), 40):
        cases.append(("flip", vector, (offset, rng.randrange(8))))
    cases += [("append", vector, b"\0"), ("append", vector, os.urandom(4096))]
    cases.append(("other-generation", vector, older))
    for start in range(0, dsize, page):
        # One flip in every page, plus more in the first (header and schema) page.
        cases.append(("flip", "library.sqlite", (start + rng.randrange(page), rng.randrange(8))))
    for offset in rng.sample(range(page), 16) + rng.sample(range(dsize), 24):
        cases.append(("flip", "library.sqlite", (offset, rng.randrange(8))))
    sizes = {0, 100, page, dsize // 2, dsize - page, dsize - 1, *rng.sample(range(dsize), 6)}
    for size in sorted(sizes):
        cases.append(("truncate", "library.sqlite", size))
    cases += [
        ("append", "library.sqlite", b"\0" * 10),
        ("append", "library.sqlite", os.urandom(page)),
    ]
    return cases


def _apply(index_dir: Path, kind: str, name: str, fault: object) -> None:
    path = index_dir / name
    if kind == "truncate":
        _truncate(path, int(fault))  # type: ignore[call-overload]
    elif kind == "flip":
        offset, bit = fault  # type: ignore[misc]
        _flip(path, offset, bit)
    elif kind == "append":
        _append(path, fault)  # type: ignore[arg-type]
    elif kind == "other-generation":
        shutil.copyfile(index_dir / str(fault), path)


@pytest.mark.slow
def test_every_fault_is_refused_or_harmless(tmp_path: Path) -> None:
    sound, vector, older = _sound_index(tmp_path)
    cases = _cases(sound, vector, older)
    folders = []
    for number, (kind, name, fault) in enumerate(cases):
        folder = tmp_path / f"case-{number}"
        shutil.copytree(sound, folder)
        _apply(folder, kind, name, fault)
        folders.append(folder)

    process = subprocess.run(
        [sys.executable, str(LOADER)],
        input="".join(f"{f}\n" for f in folders),
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = process.stdout.splitlines()[1:]
    assert process.returncode == 0 and len(lines) == len(cases), (
        f"loader died on case {len(lines)}: {cases[len(lines)]}\n{process.stderr[-2000:]}"
    )
    reference = json.loads(lines[0])
    assert "answers" in reference and reference["answers"][0], reference

    outcomes: Counter[str] = Counter()
    for (kind, name, fault), folder, line in zip(cases[1:], folders[1:], lines[1:], strict=True):
        result = json.loads(line)
        label = f"{kind} {name} {fault!r:.40}"
        if "error" in result:
            assert result["exit_code"] == 3, label
            assert result["error"] in {"IndexCorrupt", "IndexMissing", "SchemaTooNew"}, result
            message = result["message"]
            assert str(folder) in message, (label, message)
            assert "--full" in message or "qa index build" in message, (label, message)
            assert "\n" not in message, message
            outcomes[f"{name} {kind}: refused ({result['error']})"] += 1
        else:
            assert name == "library.sqlite", f"{label}: vector file damage was not refused"
            assert result == reference, f"{label}: answered differently: {result}"
            outcomes[f"{name} {kind}: same answers"] += 1
    print(f"\n{len(cases) - 1} corruptions:")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {count:4d}  {outcome}")
