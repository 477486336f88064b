"""`qa ask --open N`: hit N's web page in the browser, else its file in $EDITOR at the line,
else where it is; an article's own URL is opened only when it is http(s), and nothing
goes through a shell. The browser and the editor are recording scripts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import build

RECORDER = '#!/bin/sh\nprintf "%s\\n" "$@" > "$0.args"\n'

FERRY = "Title: Ferry timetable\n\nThe winter timetable starts in May.\n\n" + (
    "The ferry to the island of Hel runs every hour and a ticket costs nine zloty.\n"
)
RECORDS = [
    {
        "title": "Shipyard cranes",
        "url": "https://news.example/cranes?id=7",
        "text": "The Gdansk shipyard cranes were repainted blue and yellow last spring.",
    },
    {
        "title": "Lighthouse",
        "url": "javascript:alert(document.cookie)",
        "text": "The old lighthouse at Rozewie keeps a small museum of lamps and lenses.",
    },
]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("open-source")
    folder = root / "articles"
    folder.mkdir()
    (folder / "ferry.txt").write_text(FERRY, encoding="utf-8")
    (folder / "coast.jsonl").write_text(
        "\n".join(json.dumps(record) for record in RECORDS) + "\n", encoding="utf-8"
    )
    build(root / "index", folder)
    return root


def recorder(folder: Path, name: str) -> Path:
    script = folder / name
    script.write_text(RECORDER, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def ask_open(library: Path, question: str, *extra: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("EDITOR", "BROWSER")}
    return subprocess.run(
        [sys.executable, "-m", "qa", "ask", question, "--index", str(library / "index"), *extra],
        capture_output=True,
        text=True,
        env={**environment, "DISPLAY": "", "WAYLAND_DISPLAY": "", **env},
        timeout=300,
    )


def recorded(script: Path) -> list[str] | None:
    args = Path(f"{script}.args")
    return args.read_text(encoding="utf-8").splitlines() if args.exists() else None


def test_a_hit_with_a_web_address_opens_in_the_browser(library: Path, tmp_path: Path) -> None:
    browser, editor = recorder(tmp_path, "browser"), recorder(tmp_path, "editor")
    result = ask_open(
        library, "What colour are the shipyard cranes?", "-k", "1", "--open", "1",
        BROWSER=str(browser), EDITOR=str(editor),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert recorded(browser) == ["https://news.example/cranes?id=7"]
    assert recorded(editor) is None
    assert "opened https://news.example/cranes?id=7 in the browser" in result.stderr
    assert "at: https://news.example/cranes?id=7" in result.stdout  # the answer as always


def test_a_file_without_a_web_address_opens_in_the_editor_at_its_line(
    library: Path, tmp_path: Path
) -> None:
    browser, editor = recorder(tmp_path, "browser"), recorder(tmp_path, "editor")
    result = ask_open(
        library, "How much does a ferry ticket to Hel cost?", "-k", "1", "--open", "1",
        BROWSER=str(browser), EDITOR=f"'{editor}' --wait",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    path = library / "articles" / "ferry.txt"
    # $EDITOR split like a shell would (quotes, arguments), then +LINE and the file.
    assert recorded(editor) == ["--wait", "+5", str(path)]
    assert recorded(browser) is None
    assert f"{path}:5" in result.stdout


def test_an_article_url_that_is_not_http_is_never_opened(library: Path, tmp_path: Path) -> None:
    browser = recorder(tmp_path, "browser")
    result = ask_open(
        library, "What does the Rozewie lighthouse museum keep?", "-k", "1", "--open", "1",
        BROWSER=str(browser),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert recorded(browser) is None
    jsonl = library / "articles" / "coast.jsonl"
    assert f"the source is at {jsonl}:2 (set $EDITOR to open it there)" in result.stderr


@pytest.mark.parametrize(
    ("question", "extra", "words"),
    [
        ("Ferry?", ("-k", "2", "--open", "3"), "--open 3: choose a hit from 1 to -k (2)"),
        ("Ferry?", ("--open", "0"), "--open 0: choose a hit"),
        ("-", ("--open", "1"), "--open needs one question"),
    ],
)
def test_an_open_no_answer_can_have_is_a_usage_error(
    library: Path, question: str, extra: tuple[str, ...], words: str
) -> None:
    result = ask_open(library, question, *extra)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
