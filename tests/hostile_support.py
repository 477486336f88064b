"""A library whose every field and file name tries to drive the terminal (issue 11, item 5).

Shared by the CLI's and the chat's hostile-text tests (tests/cli/test_harden_terminal.py,
tests/tui/test_harden_tui.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

TITLE = "Zebra\x1b]0;OWNED\x1b\\ crossing \u202eevil\u202c \u2066iso\u2069 \x9b2J"
SOURCE = "Herald\x1b[2J\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\"
URL = "http://example.com/\x1b]2;URL\x07"
PARAGRAPH = (
    "The zebra crossing on Elm street\x1b]0;PARA\x1b\\ was painted blue\u2028 by the "
    "council on Monday, and the\x07 painters\u2029 finished at dawn."
)
FILE_NAME = "zebra\x1b]0;FILE\x07\u202e\nqa: error: forged\r.txt"
FOLDER_NAME = "articles\x1b]0;DIR\x07\u2066"
INDEX_NAME = "index\x1b]0;IDX\x07\u202e\nqa: error: forged"
JSONL_NAME = "feed\x1b[2J.jsonl"
JSONL_ROW = {
    "title": "Second zebra\nqa: error: forged title\r\x1b]0;JSON\x07",
    "source": "Wire\u202eservice",
    "url": "https://example.org/\x1b]8;;x\x1b\\",
    "text": "A second zebra crossing was painted on Oak street\x1b]0;JSONTEXT\x07 by the council.",
}
PADDING = " ".join(["The council also met on Tuesday to discuss the budget for next year."] * 25)
"""Ordinary text, so the reader does not take the few control characters for binary data."""

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What must never reach the terminal raw (tab and newline are layout)."""


def write_hostile_library(folder: Path) -> Path:
    """Articles whose every field and file name tries to drive the terminal."""
    folder.mkdir(parents=True)
    (folder / FILE_NAME).write_text(
        f"Title: {TITLE}\nSource: {SOURCE}\nURL: {URL}\n\n{PARAGRAPH}\n\n{PADDING}\n",
        encoding="utf-8",
    )
    (folder / JSONL_NAME).write_text(json.dumps(JSONL_ROW) + "\n", encoding="utf-8")
    # Skipped as binary: its name reaches the skip line.
    (folder / "bin\x1b]0;SKIP\x07\nqa: error: forged.txt").write_bytes(b"\x00\x01binary\x00")
    return folder
