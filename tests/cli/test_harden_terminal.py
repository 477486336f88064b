"""Hostile text and careless starts, through the real `qa` command (issue 11: 5, 12, 13, 15).

An article whose title, source, URL, text and file name carry terminal control sequences
(OSC 0 window title, OSC 8 hyperlink, screen clear, BEL, CR, newline, C1, bidi
overrides) must never reach stdout or stderr raw; `--json` keeps the exact text. Output
is read as bytes: text mode would turn a raw CR into a newline and hide it.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_support import (
    FILE_NAME,
    FOLDER_NAME,
    INDEX_NAME,
    JSONL_NAME,
    JSONL_ROW,
    PARAGRAPH,
    RAW,
    SOURCE,
    TITLE,
    URL,
    write_hostile_library,
)

QA = [sys.executable, "-m", "qa"]
REPO = Path(__file__).resolve().parents[2]


def run_qa(
    *args: str | Path, env: dict[str, str], timeout: float = 300, **kwargs: object
) -> subprocess.CompletedProcess:
    """`qa` with bytes output (no newline translation), each stream decoded strictly."""
    result = subprocess.run(
        [*QA, *map(str, args)],
        capture_output=True,
        env={**os.environ, **env},
        timeout=timeout,
        cwd=REPO,
        **kwargs,  # type: ignore[arg-type]
    )
    result.stdout = result.stdout.decode("utf-8")
    result.stderr = result.stderr.decode("utf-8")
    return result


def assert_shown_safely(output: str) -> None:
    """No raw control character, and every stderr-style line is one whole message."""
    found = RAW.search(output)
    assert found is None, f"raw {found.group()!r} in {output!r}"


def assert_one_message_per_line(stderr: str) -> None:
    lines = stderr.splitlines()
    assert all(line.startswith("qa: ") for line in lines), stderr
    assert not any(line.startswith("qa: error: forged") for line in lines), stderr


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, session_cache: Path) -> dict:
    """A hostile library built through `qa index build`, and that build's output."""
    root = tmp_path_factory.mktemp("hostile")
    env = {"QA_HOME": str(root / "home"), "QA_CACHE_DIR": str(session_cache)}
    articles = write_hostile_library(root / FOLDER_NAME)
    index = root / INDEX_NAME
    built = run_qa("index", "build", articles, "--index", index, env=env)
    assert built.returncode == 0, built.stderr
    return {"env": env, "articles": articles, "index": index, "root": root, "built": built}


def test_build_progress_and_skip_lines_escape_file_names(hostile: dict) -> None:
    built = hostile["built"]
    assert built.stdout == ""
    assert_shown_safely(built.stderr)
    assert_one_message_per_line(built.stderr)
    skipped = [line for line in built.stderr.splitlines() if line.startswith("qa: skipped ")]
    assert len(skipped) == 1 and "bin\\x1b]0;SKIP\\x07\\nqa: error: forged.txt" in skipped[0]


def test_ask_text_shows_every_library_string_escaped(hostile: dict) -> None:
    result = run_qa(
        "ask", "Who painted the zebra crossing?", "--index", hostile["index"], "-k", "5",
        env=hostile["env"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert_shown_safely(result.stdout)
    assert_shown_safely(result.stderr)
    out = result.stdout
    # Shown, escaped: title, source, file name, paragraph text, the JSONL article's title.
    assert "Zebra\\x1b]0;OWNED\\x1b\\ crossing \\u202eevil\\u202c \\u2066iso\\u2069 \\x9b2J" in out
    assert "Herald\\x1b[2J\\x1b]8;;http://evil.example/" in out
    assert "zebra\\x1b]0;FILE\\x07\\u202e\\nqa: error: forged\\r.txt" in out
    assert "street\\x1b]0;PARA\\x1b\\ was painted blue\\u2028" in out
    assert "Second zebra\\nqa: error: forged title\\r\\x1b]0;JSON\\x07" in out
    assert not any(line.startswith("qa: error") for line in out.splitlines())


@pytest.mark.parametrize("form", ["--json", "--jsonl"])
def test_json_keeps_the_exact_text_and_escapes_it(hostile: dict, form: str) -> None:
    result = run_qa(
        "ask", "Who painted the zebra crossing?", "--index", hostile["index"], "-k", "5", form,
        env=hostile["env"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The characters travel as JSON escapes: exact once parsed, inert on a terminal.
    assert_shown_safely(result.stdout)
    answer = json.loads(result.stdout)
    by_article = {hit["citation"]["article"]: hit for hit in answer["hits"]}
    hit = by_article[FILE_NAME]
    citation = hit["citation"]
    assert (citation["title"], citation["source"], citation["url"]) == (TITLE, SOURCE, URL)
    assert citation["path"] == str(hostile["articles"] / FILE_NAME)
    assert any(h["text"] == PARAGRAPH for h in answer["hits"]), [h["text"] for h in answer["hits"]]
    jsonl = by_article[f"{JSONL_NAME}#0"]["citation"]
    assert (jsonl["title"], jsonl["source"], jsonl["url"]) == (
        JSONL_ROW["title"],
        JSONL_ROW["source"],
        JSONL_ROW["url"],
    )


def test_status_and_verify_escape_folder_names(hostile: dict) -> None:
    status = run_qa("index", "status", "--index", hostile["index"], env=hostile["env"])
    assert status.returncode == 0, status.stderr
    assert_shown_safely(status.stdout)
    assert "index\\x1b]0;IDX\\x07\\u202e\\nqa: error: forged" in status.stdout
    assert "articles\\x1b]0;DIR\\x07\\u2066" in status.stdout
    verify = run_qa("index", "verify", "--index", hostile["index"], env=hostile["env"])
    assert verify.returncode == 0, verify.stderr
    assert_shown_safely(verify.stdout + verify.stderr)
    assert len(verify.stdout.splitlines()) == 1 and verify.stdout.startswith("ok: ")


def test_an_error_naming_a_hostile_path_is_one_line(hostile: dict) -> None:
    missing = hostile["root"] / "nowhere\x1b]0;ERR\x07\nqa: error: forged\u202e"
    result = run_qa("ask", "Who painted it?", "--index", missing, env=hostile["env"])
    assert result.returncode == 3
    assert_shown_safely(result.stderr)
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "nowhere\\x1b]0;ERR\\x07\\nqa: error: forged\\u202e" in result.stderr


def test_eval_output_escapes_the_articles_folder(hostile: dict, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    row = {"question": "Who painted the zebra crossing?", "article": FILE_NAME, "paragraph": 1}
    questions.write_text(json.dumps(row) + "\n", encoding="utf-8")
    result = run_qa(
        "eval", questions, "--articles", hostile["articles"], "--index", tmp_path / "eval",
        env=hostile["env"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert_shown_safely(result.stdout + result.stderr)
    assert_one_message_per_line(result.stderr)
    assert "articles\\x1b]0;DIR\\x07\\u2066" in result.stderr


# -- item 12: Ctrl-C (and SIGTERM) while the command line is parsed -------------------

SIGNAL_IN_PARSE_ARGS = """
import argparse, signal, sys
real = argparse.ArgumentParser.parse_args

def parse_args(self, *args, **kwargs):
    # raise_signal runs the Python handler before it returns: the signal lands inside
    # argument parsing every time, no timing involved.
    signal.raise_signal(signal.{name})
    return real(self, *args, **kwargs)

argparse.ArgumentParser.parse_args = parse_args
sys.argv = ["qa", "ask", "What did Peskov say?"]
from qa.cli import run
run()
"""

SIGNAL_IN_LAZY_IMPORT = """
import signal, sys

class Interrupting:
    # Ctrl-C while `qa.commands` (the search stack) is being imported.
    def find_spec(self, name, path=None, target=None):
        if name == "qa.commands":
            signal.raise_signal(signal.SIGINT)
        return None

sys.meta_path.insert(0, Interrupting())
sys.argv = ["qa", "index", "status"]
from qa.cli import run
run()
"""


@pytest.mark.parametrize(
    ("code", "exit_code", "message"),
    [
        (SIGNAL_IN_PARSE_ARGS.format(name="SIGINT"), 130, "qa: interrupted\n"),
        (SIGNAL_IN_PARSE_ARGS.format(name="SIGTERM"), 143, "qa: terminated\n"),
        (SIGNAL_IN_LAZY_IMPORT, 130, "qa: interrupted; previous index kept\n"),
    ],
    ids=["ctrl-c-in-parse-args", "sigterm-in-parse-args", "ctrl-c-in-lazy-import"],
)
def test_a_signal_during_start_up_is_one_line(code: str, exit_code: int, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert result.returncode == exit_code, result.stderr
    assert result.stderr == message
    assert result.stdout == ""


# -- item 13: empty values never mean "the default library" --------------------------


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (("ask", "q", "--index", ""), {}, "--index"),
        (("--index", "", "ask", "q"), {}, "--index"),
        (("index", "build", "--index", ""), {}, "--index"),
        (("index", "status", "--index", ""), {}, "--index"),
        (("index", "verify", "--index", ""), {}, "--index"),
        (("chat", "--index", ""), {}, "--index"),
        (("ask", "q", "--model", ""), {}, "--model"),
        (("ask", "q", "--session", ""), {}, "--session"),
        (("ask", "q", "--article", ""), {}, "--article"),
        (("ask", "q", "--source", ""), {}, "--source"),
        (("index", "build", ""), {}, "PATH"),
        (("eval", "q.jsonl", "--articles", ""), {}, "--articles"),
        (("eval", "", "--articles", "."), {}, "QUESTIONS.jsonl"),
        (("eval", "q.jsonl", "--articles", ".", "--foreign", ""), {}, "--foreign"),
        (("ask", "q"), {"QA_INDEX": ""}, "QA_INDEX"),
        (("index", "status"), {"QA_HOME": ""}, "QA_HOME"),
        (("ask", "q"), {"QA_MODEL": ""}, "QA_MODEL"),
        (("ask", "q"), {"QA_CACHE_DIR": ""}, "QA_CACHE_DIR"),
    ],
)
def test_an_empty_folder_option_is_a_usage_error(
    isolated_home: Path, args: tuple, env: dict, named: str
) -> None:
    result = run_qa(*args, env=env)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "empty" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""
    # Nothing was built or created on the way to the error.
    assert not isolated_home.exists()


# -- item 15: the chat needs a terminal ------------------------------------------------


@pytest.mark.parametrize("args", [(), ("chat",)], ids=["qa", "qa-chat"])
@pytest.mark.parametrize("stdin", ["devnull", "terminal"])
def test_the_chat_without_a_terminal_says_so(isolated_home: Path, args: tuple, stdin: str) -> None:
    # stdout is a pipe either way; stdin is /dev/null, or a real terminal (a pty).
    controller, terminal = pty.openpty()
    try:
        stream = subprocess.DEVNULL if stdin == "devnull" else terminal
        result = run_qa(*args, env={}, stdin=stream, timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "needs a terminal" in result.stderr and "qa ask" in result.stderr
    assert not isolated_home.exists()
