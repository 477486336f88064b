"""`qa ask` on a who-said-what question: the speaker's stored quotes before the passages.

Real builds through the real command: the bundled sample (two Dmitry Peskov quotes in
paragraphs 1 and 3, Vladimir Putin's in paragraph 2) and three short articles quoting
Josep Borrell on three topics, the one about interference the oldest, so that only
ranking by the question's topic can put it first (by date it comes last).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import SAMPLE, build, make_library

from index.build.quotes import QuoteStep
from index.build.run import FILE_STEPS
from index.store import migrations

QA = [sys.executable, "-m", "qa"]

BORRELL = {
    "borrell-observers.txt": (
        "Title: EU sends observers\nSource: Brussels Wire\nPublished: 2022-06-10\n\n"
        "“We will send observers to the border next month,” said Josep Borrell."
    ),
    "borrell-sanctions.txt": (
        "Title: Sanctions stay\nSource: Brussels Wire\nPublished: 2021-05-01\n\n"
        "“The sanctions will stay in place until the prisoners are freed,” said Josep Borrell."
    ),
    "borrell-interference.txt": (
        "Title: A free choice\nSource: Brussels Wire\nPublished: 2020-09-01\n\n"
        "“Belarus must choose its own path without any foreign interference,” said Josep "
        "Borrell."
    ),
}
"""Newest first: observers (2022), sanctions (2021), interference (2020)."""


def qa(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QA, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
        input=stdin,
    )


def write_articles(folder: Path) -> Path:
    make_library(folder, extra=False)
    for name, text in BORRELL.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ask-quotes")
    build(root / "index", write_articles(root / "articles"))
    return root / "index"


def ask_json(index_dir: Path, question: str, *args: str) -> dict:
    result = qa("ask", question, "--json", "--index", str(index_dir), *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def places(answer: dict) -> list[tuple[str, int]]:
    return [(q["citation"]["article"], q["citation"]["paragraph"]) for q in answer["quotes"]]


def test_what_did_peskov_say_lists_his_two_quotes_as_qa_quotes_does(index: Path) -> None:
    answer = ask_json(index, "What did Peskov say?")
    assert places(answer) == [(SAMPLE, 1), (SAMPLE, 3)]
    assert {q["speaker"]["name"] for q in answer["quotes"]} == {"Dmitry Peskov"}
    listed = qa("quotes", "--json", "--speaker", "Peskov", "--index", str(index))
    assert answer["quotes"] == json.loads(listed.stdout)  # the very same objects
    assert answer["hits"]  # the passages still follow
    assert list(answer).index("quotes") < list(answer).index("hits")


def test_the_text_answer_shows_the_quotes_before_the_passages(index: Path) -> None:
    result = qa("ask", "What did Peskov say?", "--index", str(index))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Quotes:\nDmitry Peskov (told):\n")
    quotes, passages = out.split("\nPassages:\n")
    assert quotes.count("Dmitry Peskov (") == 2
    assert "paragraph 1" in quotes and "paragraph 3" in quotes
    assert passages.startswith("1. [")


def test_putins_quote_and_a_title_phrase(index: Path) -> None:
    putin = ask_json(index, "What did Putin say?")
    assert (SAMPLE, 2) in places(putin)
    assert {q["speaker"]["name"] for q in putin["quotes"]} == {"Vladimir Putin"}
    # Named by the title the article gives him ("Putin's spokesman Dmitry Peskov").
    spokesman = ask_json(index, "What did Putin's spokesman say?")
    assert places(spokesman) == [(SAMPLE, 1), (SAMPLE, 3)]
    kremlin = ask_json(index, "What has the Kremlin said about Belarus?")
    assert {q["speaker"]["name"] for q in kremlin["quotes"]} == {"Kremlin"}


def test_the_rest_of_the_question_ranks_a_speakers_quotes(index: Path) -> None:
    by_date = ask_json(index, "What did Borrell say?")
    # No topic: newest first (the undated sample, whose quote is on interference too, last).
    assert [a for a, _ in places(by_date)] == [*BORRELL, SAMPLE]
    topical = ask_json(index, "Did Borrell say anything about interference?")
    assert sorted(places(topical)) == sorted(places(by_date))
    about = ["interference" in q["text"] for q in topical["quotes"]]
    assert about == [True, True, False, False]
    assert "borrell-interference.txt" in [a for a, _ in places(topical)[:2]]


def test_a_question_about_no_ones_words_has_no_quotes(index: Path) -> None:
    answer = ask_json(index, "Where is the reserve?")
    assert answer["quotes"] == [] and answer["hits"]
    text = qa("ask", "Where is the reserve?", "--index", str(index))
    assert "Quotes:" not in text.stdout and text.stdout.startswith("1. [")
    assert ask_json(index, "What did Nobody Atall say?")["quotes"] == []


def test_a_batch_carries_quotes_per_question(index: Path) -> None:
    result = qa("ask", "-", "--jsonl", "--index", str(index), stdin="What did Peskov say?\nWhy?\n")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert places(first) == [(SAMPLE, 1), (SAMPLE, 3)] and second["quotes"] == []


def test_a_follow_up_asks_about_the_same_speaker(index: Path, tmp_path: Path) -> None:
    session = str(tmp_path / "session.json")
    first = ask_json(index, "What did Putin say?", "--session", session)
    assert {q["speaker"]["name"] for q in first["quotes"]} == {"Vladimir Putin"}
    peskov = ask_json(index, "And Peskov?", "--session", session)
    assert places(peskov) == [(SAMPLE, 1), (SAMPLE, 3)]
    # Both of his quotes were shown: "else" finds no other, and says so.
    again = ask_json(index, "What else did he say?", "--session", session)
    assert again["searched"] == "What else did Dmitry Peskov say?"
    assert again["quotes"] == []
    assert again["notice"] == "no more quotes by Dmitry Peskov than those shown before"


def test_an_index_built_before_quotes_answers_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    with monkeypatch.context() as old_qa:
        old_qa.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
        build(
            index_dir,
            make_library(tmp_path / "articles", extra=False),
            file_steps=[step for step in FILE_STEPS if step is not QuoteStep],
        )
    answer = ask_json(index_dir, "What did Peskov say?")
    assert answer["quotes"] == [] and answer["hits"]
