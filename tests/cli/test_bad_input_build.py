"""Bad input end to end: `qa index build` over a messy folder, then `qa ask`.

The readers are tested file by file in unit/test_readers.py; this proves the whole command
keeps its contract on a real mixed folder: exit 0, one `qa: skipped <path>: <reason>`
line per bad file, no traceback, awkward-but-readable files (UTF-16, cp1252, CRLF)
indexed and answerable, bad questions refused in one line, and a build over an empty or
missing folder never leaving the user without the index they had.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import make_library

QA = [sys.executable, "-m", "qa"]
MAX_BYTES = 100_000
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + struct.pack(">I", 13)
    + b"IHDR"
    + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    + b"\0" * 24
)

BAD = {
    "empty.txt": "empty file",
    "blank.md": "empty file",
    "scan.txt": "binary file",
    "pipe.txt": "named pipe",
    "escape.txt": "symlink leads outside the folder",
    "huge.txt": "over the 0.10 MB limit",
}
"""Bad file name -> the reason its skip line must give."""


def qa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QA, *args], capture_output=True, text=True, env=dict(os.environ), timeout=300
    )


def messy_folder(base: Path) -> Path:
    """Three good articles, three awkward-but-readable ones and one of each bad kind."""
    folder = make_library(base / "articles")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_bytes(b"  \n\n\t \r\n")
    (folder / "image.png").write_bytes(PNG)
    (folder / "scan.txt").write_bytes(PNG)
    (folder / "lighthouse.txt").write_text(
        "The lighthouse keeper retired after forty years on the island.\n\n"
        "His daughter will take over the lamp.",
        encoding="utf-16",
    )
    (folder / "cafe.txt").write_bytes(
        "The café owner’s espresso machine broke on Sunday — customers queued anyway.".encode(
            "cp1252"
        )
    )
    (folder / "glacier.txt").write_bytes(
        b"The glacier retreated by sixty metres last summer.\r\n\r\n"
        b"Climbers found an old ice axe in the meltwater.\r\n"
    )
    os.mkfifo(folder / "pipe.txt")
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("The secret recipe uses cardamom.", encoding="utf-8")
    os.symlink(outside / "secret.txt", folder / "escape.txt")
    (folder / "huge.txt").write_text("The report covers railway timetables. " * 3000)
    return folder


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """(folder, index, build result): one build shared by the module, it is the slow part."""
    base = tmp_path_factory.mktemp("messy")
    folder = messy_folder(base)
    index = base / "index"
    result = qa("index", "build", str(folder), "--index", str(index), "--max-bytes", str(MAX_BYTES))
    return folder, index, result


def ask(index: Path, question: str) -> subprocess.CompletedProcess:
    return qa("ask", question, "--index", str(index), "--json", "-k", "1")


def top_article(index: Path, question: str) -> str:
    result = ask(index, question)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["hits"][0]["citation"]["article"]


def test_build_exits_0_with_one_skip_line_per_bad_file(built: tuple) -> None:
    folder, _, result = built
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("qa: skipped ")]
    assert len(skipped) == len(BAD), skipped
    for name, reason in BAD.items():
        prefix = f"qa: skipped {folder / name}: "
        lines = [line for line in skipped if line.startswith(prefix)]
        assert len(lines) == 1 and reason in lines[0], (name, skipped)
    # Not an article type at all: ignored like any other non-text file, no line.
    assert "image.png" not in result.stderr
    assert "indexed 6 articles" in result.stderr


def test_awkward_encodings_are_noted(built: tuple) -> None:
    folder, _, result = built
    assert f"qa: note: {folder / 'cafe.txt'}: decoded as cp1252" in result.stderr
    assert f"qa: note: {folder / 'lighthouse.txt'}: UTF-16" in result.stderr


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("Who will take over the lighthouse lamp?", "lighthouse.txt"),
        ("What broke at the café?", "cafe.txt"),
        ("What did climbers find in the meltwater?", "glacier.txt"),
        ("What did mayor Duarte say?", "harbour-bridge.txt"),
        ("How bad is the apricot harvest?", "orchard-frost.md"),
    ],
)
def test_good_and_readable_files_answer(built: tuple, question: str, article: str) -> None:
    assert top_article(built[1], question) == article


def test_crlf_paragraphs_are_the_lf_paragraphs(built: tuple) -> None:
    result = ask(built[1], "What did climbers find in the meltwater?")
    citation = json.loads(result.stdout)["hits"][0]["citation"]
    assert citation["paragraph"] == 1
    assert "\r" not in json.loads(result.stdout)["hits"][0]["text"]


def test_nothing_outside_the_folder_is_indexed(built: tuple) -> None:
    result = ask(built[1], "Which spice is in the secret recipe?")
    # The question is answered (from the folder's own articles), just never from outside.
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["hits"], answer
    assert all("cardamom" not in hit["text"] for hit in answer["hits"])
    assert all(not hit["citation"]["path"].endswith("secret.txt") for hit in answer["hits"])


@pytest.mark.parametrize(
    ("question", "needle"),
    [("", "empty question"), ("x" * 100_000, "limit"), ("bad\x07question", "control character")],
)
def test_bad_questions_exit_2_in_one_line(built: tuple, question: str, needle: str) -> None:
    result = ask(built[1], question)
    assert result.returncode == 2
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_empty_or_missing_folder_keeps_a_good_index(tmp_path: Path) -> None:
    folder = make_library(tmp_path / "articles")
    index = tmp_path / "index"
    assert qa("index", "build", str(folder), "--index", str(index)).returncode == 0
    assert top_article(index, "What did mayor Duarte say?") == "harbour-bridge.txt"

    for path in folder.iterdir():
        path.unlink()
    emptied = qa("index", "build", "--index", str(index))
    assert emptied.returncode == 2 and "keeping the existing index" in emptied.stderr
    # Progress lines, then the refusal as the one last line.
    assert "Traceback" not in emptied.stderr
    assert "keeping the existing index" in emptied.stderr.strip().splitlines()[-1]
    assert top_article(index, "What did mayor Duarte say?") == "harbour-bridge.txt"

    folder.rmdir()
    missing = qa("index", "build", "--index", str(index))
    assert missing.returncode == 0, missing.stderr
    assert "folder not found" in missing.stderr and "Traceback" not in missing.stderr
    assert top_article(index, "What did mayor Duarte say?") == "harbour-bridge.txt"

    elsewhere = qa("index", "build", str(tmp_path / "nowhere"), "--index", str(index))
    assert elsewhere.returncode == 2 and "no such file or folder" in elsewhere.stderr
    assert top_article(index, "What did mayor Duarte say?") == "harbour-bridge.txt"
