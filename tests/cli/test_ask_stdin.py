"""`qa ask -`: many questions, one model, answers exactly as if each were asked alone.

Questions read from a pipe are encoded in batches (whatever has already arrived) on a
worker thread; none of that may change an answer, its order, or make a question typed
into a slow pipe wait for the next one.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from library_fixtures import build, embedder, make_library

from qa.library import Library
from qa.lines import InputLine, line_batches

QA = [sys.executable, "-m", "qa"]

QUESTIONS = [
    "What did Peskov say?",
    "What did Borrell urge Russia to do?",
    "How much did the city spend on the harbour bridge?",
    "When did the bridge reopen?",
    "What happened to the apricot blossoms?",
    "What did Peskov say?",
    "How will the apricot harvest compare with last year's?",
    "ferry passengers",
    "Belarus military reserve snap check",
    "Who thanked residents for their patience?",
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, session_cache: Path) -> Path:
    root = tmp_path_factory.mktemp("stdin")
    articles = make_library(root / "articles")
    # Module fixtures run before conftest's per-test isolation: point at the caches here.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QA_HOME", str(root / "home"))
        patch.setenv("QA_CACHE_DIR", str(session_cache))
        build(root / "index", articles)
    return root / "index"


def test_piped_questions_get_the_answers_each_gets_alone_in_order(index_dir: Path) -> None:
    # Blank lines are skipped, bad lines reported by number, and the rest still answered.
    lines = [QUESTIONS[0], "", *QUESTIONS[1:5], "   ", "bad\x01line", *QUESTIONS[5:]]
    stdin = ("\r\n".join(lines[:3]) + "\n" + "\n".join(lines[3:])).encode() + b"\n\xff\xfe\n"
    result = subprocess.run(
        [*QA, "ask", "-", "--jsonl", "-k", "4", "--index", str(index_dir)],
        input=stdin,
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode().splitlines() == [
        "qa: line 8: question contains a control character ('\\x01')",
        "qa: line 14: not valid utf-8 text",
    ]
    piped = [json.loads(line) for line in result.stdout.decode().splitlines()]
    library = Library(index_dir, embedder())
    alone = [library.ask(question, k=4).to_json() for question in QUESTIONS]
    assert [answer["question"] for answer in piped] == QUESTIONS
    assert _same_answers(piped, alone)


def _same_answers(left: object, right: object) -> bool:
    """Equal, but for floats within one unit of the coarsest printed digit (confidence's
    3 decimals): a process that has asked 8 questions runs a pre-packed session, whose
    vectors differ from a fresh process's in the 7th decimal."""
    if isinstance(left, float) and isinstance(right, float):
        return abs(left - right) <= 1e-3
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same_answers(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same_answers, left, right))
    return left == right


def test_a_slow_pipe_gets_each_answer_before_writing_the_next_question(index_dir: Path) -> None:
    process = _asking_process(index_dir)
    answers: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [answers.put(x) for x in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        for question in QUESTIONS[:4]:
            process.stdin.write(question + "\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]
            # The next question is not written yet: the answer must come without it.
            answer = json.loads(answers.get(timeout=120))
            assert answer["question"] == question
        process.stdin.close()  # type: ignore[union-attr]
        assert process.wait(timeout=60) == 0, process.stderr.read()  # type: ignore[union-attr]
    finally:
        process.kill()
        process.wait()
    assert answers.empty()


def test_line_batches_take_what_has_arrived_and_never_wait_for_more() -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "r", encoding="utf-8") as stream:
        batches = line_batches(stream, max_batch=3)
        os.write(write_end, b"one\ntwo\r\nthree\nfour\nfi")
        assert [line.text for line in next(batches)] == ["one", "two", "three"]
        assert next(batches) == [InputLine(4, "four")]
        # "fi" has no line ending yet: the reader waits for the rest of it.
        os.write(write_end, b"ve\nsix")
        assert next(batches) == [InputLine(5, "five")]
        os.close(write_end)
        # At the end, a last line without a line ending is still a line.
        assert next(batches) == [InputLine(6, "six")]
        assert next(batches, None) is None


def test_output_written_last_still_reaches_the_pipe_whole(index_dir: Path) -> None:
    # `qa ask` exits without interpreter teardown: what it printed must be flushed first.
    result = subprocess.run(
        [*QA, "ask", "-", "--json", "--index", str(index_dir)],
        input="\n".join(QUESTIONS * 3) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    answers = json.loads(result.stdout)
    assert [a["question"] for a in answers] == QUESTIONS * 3


def test_a_reader_that_stops_early_ends_the_run_quietly(index_dir: Path) -> None:
    process = _asking_process(index_dir)
    try:
        process.stdin.write("\n".join(QUESTIONS * 20) + "\n")  # type: ignore[union-attr]
        process.stdin.close()  # type: ignore[union-attr]
        assert json.loads(process.stdout.readline())["question"] == QUESTIONS[0]  # type: ignore[union-attr]
        process.stdout.close()  # type: ignore[union-attr]
        assert process.wait(timeout=120) == 0
        assert process.stderr.read() == ""  # type: ignore[union-attr]
    finally:
        process.kill()
        process.wait()


def _asking_process(index_dir: Path) -> subprocess.Popen:
    """`qa ask - --jsonl` with every stream a pipe, as a program driving it would start it."""
    return subprocess.Popen(
        [*QA, "ask", "-", "--jsonl", "--index", str(index_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
