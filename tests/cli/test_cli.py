"""The `qa` command through its entry point: exact output shape and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import SAMPLE, SHARED, make_library

QA = [sys.executable, "-m", "qa"]


def qa(
    *args: str, stdin: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QA, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture(scope="module")
def default_home(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A QA_HOME whose default library was created on first use by `qa ask`."""
    home = tmp_path_factory.mktemp("home")
    return {"QA_HOME": str(home)}


def test_help_lists_commands_and_exit_codes() -> None:
    result = qa("--help")
    assert result.returncode == 0
    for word in ("ask", "index", "eval", "exit codes", "130"):
        assert word in result.stdout


def test_default_library_answers_peskov_on_first_use(tmp_path: Path) -> None:
    home = {"QA_HOME": str(tmp_path / "new-home")}  # its own: first use happens here
    result = qa("ask", "What did Peskov say?", "--json", env=home)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    paragraphs = [hit["citation"]["paragraph"] for hit in answer["hits"]]
    assert paragraphs[:2] in ([1, 3], [3, 1])
    assert all(not hit["boilerplate"] for hit in answer["hits"][:3])
    assert all(hit["citation"]["article"] == SAMPLE for hit in answer["hits"])
    top = answer["hits"][0]
    assert "Peskov" in top["text"]
    assert top["highlights"][0]["text"] in top["text"]
    assert set(top["citation"]) >= {"article", "path", "title", "paragraph", "start", "end"}
    assert answer["confident"] and 0.0 <= answer["confidence"] <= 1.0
    assert result.stderr.startswith("qa: first use: indexing the sample library in "), result.stderr
    again = qa("ask", "What did Peskov say?", "--json", env=home)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert json.loads(again.stdout)["hits"] == answer["hits"]


def test_text_answer_marks_the_best_sentence(default_home: dict) -> None:
    result = qa("ask", "What did Peskov say?", "-k", "2", env=default_home)
    assert result.returncode == 0, result.stderr
    # His quotes come first (tests/cli/test_ask_quotes.py), then the passages.
    lines = result.stdout.split("\nPassages:\n")[-1].splitlines()
    assert lines[0].startswith("1. [")
    assert "paragraph" in lines[0] and SAMPLE in lines[0]
    assert "**" in result.stdout
    assert result.stdout.count("\n2. [") == 1


def test_stdin_questions_are_answered_one_json_line_each(default_home: dict) -> None:
    result = qa(
        "ask",
        "-",
        "--jsonl",
        "-k",
        "3",
        stdin="What did Peskov say?\nWhat did Borrell urge Russia to do?\n",
        env=default_home,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in answers] == [
        "What did Peskov say?",
        "What did Borrell urge Russia to do?",
    ]
    assert answers[1]["hits"][0]["citation"]["paragraph"] == 5


def test_status_shows_the_library(default_home: dict) -> None:
    qa("ask", "Peskov", env=default_home)
    result = qa("index", "status", env=default_home)
    assert result.returncode == 0, result.stderr
    assert "articles:   1" in result.stdout
    assert "all-MiniLM-L6-v2@" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("ask", ""), 2, "empty question"),
        (("ask", "x" * 3000), 2, "limit"),
        (("ask", "bad\x01question"), 2, "control character"),
        (("ask", "hi", "-k", "zero"), 2, "invalid int"),
        (("ask", "hi", "--bogus"), 2, "unrecognized arguments"),
        (("index", "build", "/no/such/folder"), 2, "no such file or folder"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(
    default_home: dict, args: tuple, code: int, needle: str
) -> None:
    result = qa(*args, env=default_home)
    assert result.returncode == code
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "line",
    [
        ("ask", "anything", "--index", "{index}"),
        ("--index", "{index}", "ask", "anything"),
        ("--index", "{index}", "index", "status"),
        ("index", "--index", "{index}", "status"),
    ],
)
def test_missing_index_exits_3(tmp_path: Path, line: tuple[str, ...]) -> None:
    # --index is honoured before or after the command's name, never replaced by the
    # default library (whose first use would index the sample library in QA_HOME).
    index = str(tmp_path / "nowhere")
    home = {"QA_HOME": str(tmp_path / "home")}
    result = qa(*(part.format(index=index) for part in line), env=home)
    assert result.returncode == 3
    assert f"no index at {index}" in result.stderr and "qa index build" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "home").exists()


def test_build_status_verify_on_an_explicit_index(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    index = str(tmp_path / "index")
    built = qa("index", "build", str(articles), "--index", index)
    assert built.returncode == 0, built.stderr
    assert "indexed 3 articles" in built.stderr
    assert built.stdout == ""
    status = qa("index", "status", "--index", index)
    assert "articles:   3" in status.stdout
    verify = qa("index", "verify", "--index", index)
    assert verify.returncode == 0 and verify.stdout.startswith("ok:")
    asked = qa("ask", "apricot harvest", "--index", index, "--json", "-k", "1")
    assert json.loads(asked.stdout)["hits"][0]["citation"]["article"] == "orchard-frost.md"


def test_filters_restrict_results(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles")
    index = str(tmp_path / "index")
    qa("index", "build", str(articles), "--index", index)
    result = qa("ask", "What happened?", "--index", index, "--source", "valley", "--json")
    hits = json.loads(result.stdout)["hits"]
    assert hits and {h["citation"]["article"] for h in hits} == {"orchard-frost.md"}
    result = qa(
        "ask",
        "What happened?",
        "--index",
        index,
        "--since",
        "2021-01-01",
        "--until",
        "2021-12-31",
        "--json",
    )
    assert {h["citation"]["article"] for h in json.loads(result.stdout)["hits"]} == {
        "harbour-bridge.txt"
    }


def test_eval_reads_the_shared_format(tmp_path: Path) -> None:
    seed = SHARED / "eval" / "seed"
    result = qa(
        "eval", str(seed / "questions.jsonl"), "--articles", str(seed / "articles"), "--json"
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["questions"] == 9
    assert figures["recall_at_10"] >= 0.8
    for key in ("recall_at_1", "recall_at_5", "mrr_at_10", "ndcg_at_10", "latency_p50_ms"):
        assert 0 <= figures[key]
