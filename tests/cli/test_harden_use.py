"""Careless use (issue 11): undecodable arguments, concurrent first use, dates and filters
that exclude everything, files outside the user's folders, slow failures.

Everything goes through the real `qa` command (or the real TUI under Pilot) with the real
model, SQLite and FAISS.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import SAMPLE, build, make_library
from tui_support import ask, chat, make_app, wait_ready, wait_until

from index.store.lock import WriterLock
from index.store.schema import connect
from tui.state import READY
from tui.widgets.status_line import StatusLine

QA = [sys.executable, "-m", "qa"]
PESKOV = "What did Peskov say?"


def qa(
    *args: str | bytes, env: dict | None = None, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QA, *args],
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=600,
    )


def one_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace")
    assert "Traceback" not in text and "internal error" not in text, text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample (undated), harbour (2021-03-04) and orchard (2022-04-20) articles."""
    root = tmp_path_factory.mktemp("dated")
    build(root / "index", make_library(root / "articles"))
    return root / "index"


# -- 9: arguments that are not UTF-8 ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ((b"ask", b"\xff\xfe"), "the question"),
        ((b"ask", b"\xff\xfe", b"--json"), "the question"),
        ((b"ask", PESKOV.encode(), b"--article", b"caf\xe9"), "--article"),
        ((b"ask", PESKOV.encode(), b"--source", b"\xff"), "--source"),
        ((b"ask", PESKOV.encode(), b"--since", b"2021\xff"), "--since"),
        ((b"ask", PESKOV.encode(), b"--session", b"talk-\xff.json"), "--session"),
        ((b"ask", PESKOV.encode(), b"--index", b"index-\xff"), "--index"),
        ((b"eval", b"questions-\xff.jsonl", b"--articles", b"."), "QUESTIONS.jsonl"),
        ((b"eval", b"q.jsonl", b"--articles", b"articles-\xff"), "--articles"),
        ((b"index", b"build", b"folder-\xff"), "PATH"),
    ],
)
def test_arguments_that_are_not_utf8_are_usage_errors(
    args: tuple[bytes, ...], named: str, isolated_home: Path, tmp_path: Path
) -> None:
    result = qa(*args, cwd=tmp_path)  # relative names land in tmp_path, if anywhere
    assert result.returncode == 2, result.stderr
    line = one_line(result.stderr)
    assert line.startswith(f"qa: {named} is not valid UTF-8 text (")
    assert "\\x" in line  # the undecodable bytes are shown, escaped
    # Refused before anything else: no first-use library was made.
    assert not isolated_home.exists()


def test_an_environment_variable_that_is_not_utf8_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [*QA, "index", "status"],
        capture_output=True,
        env={**os.environb, b"QA_INDEX": os.fsencode(tmp_path) + b"/\xff"},  # type: ignore[dict-item]
        timeout=600,
    )
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("qa: QA_INDEX is not valid UTF-8 text (")


# -- 10: several qa on a new library ------------------------------------------------------


def test_a_first_use_waits_for_the_build_already_running_then_answers(
    isolated_home: Path,
) -> None:
    lock = WriterLock(isolated_home / "index")
    lock.acquire()  # as a first `qa` building the library would
    try:
        process = subprocess.Popen(
            [*QA, "ask", PESKOV, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # ends at EOF if it exits instead of waiting
            seen.append(line)
            if "waiting for another qa" in line:
                break
        assert "waiting for another qa to finish building the library at" in seen[-1], seen
        assert str(isolated_home / "index") in seen[-1]
        assert process.poll() is None  # still waiting, not failed
    finally:
        lock.release()
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    hits = json.loads(out)["hits"]
    assert "Peskov" in hits[0]["text"] and hits[0]["citation"]["article"] == SAMPLE


def test_three_first_uses_at_once_all_answer_the_same(isolated_home: Path) -> None:
    processes = [
        subprocess.Popen(
            [*QA, "ask", PESKOV, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    results = [(p.communicate(timeout=600), p.returncode) for p in processes]
    for (_, err), code in results:
        assert code == 0, err.decode()
    answers = [json.loads(out) for (out, _), _ in results]
    assert answers[0] == answers[1] == answers[2]
    assert "Peskov" in answers[0]["hits"][0]["text"]
    # One copy of the sample, and no staging folder left beside it.
    assert sorted(p.name for p in (isolated_home / "articles").iterdir()) == [SAMPLE]
    assert sorted(p.name for p in isolated_home.iterdir()) == ["articles", "index"]


async def waits_then_goes_on(pilot, app, lock: WriterLock, unsettled: tuple[str, ...]) -> None:  # noqa: ANN001
    """The chat says it waits for the build holding `lock`, is in none of the `unsettled`
    phases meanwhile, and goes on once the lock is released."""
    try:
        await wait_until(
            pilot,
            lambda: any("waiting for another qa" in n.message for n in app._notifications),
            timeout=60,
            what="the waiting notice",
        )
        assert app.library_state.phase not in unsettled
    finally:
        lock.release()


async def test_the_chat_waits_for_a_first_build_running_elsewhere(isolated_home: Path) -> None:
    from index.locations import default_index_dir

    lock = WriterLock(default_index_dir())
    lock.acquire()
    app = make_app(default_index_dir())
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            await waits_then_goes_on(pilot, app, lock, unsettled=(READY,))
            await wait_until(
                pilot, lambda: app.library_state.phase == READY, timeout=120, what="ready"
            )
            view = await ask(pilot, PESKOV)
            assert view.turn.answer is not None and "Peskov" in view.turn.answer.hits[0].text
    finally:
        lock.release()


def lines_until(stream, marker: str) -> list[str]:  # noqa: ANN001
    """Lines read from `stream` up to the first holding `marker` (or to its end)."""
    seen = []
    for line in stream:
        seen.append(line)
        if marker in line:
            break
    return seen


def test_asking_an_index_during_its_first_build_waits_for_it(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles", extra=False)
    index = str(tmp_path / "index")
    builder = subprocess.Popen(
        [*QA, "index", "build", str(articles), "--index", index],
        stderr=subprocess.PIPE,
        text=True,
    )
    asker = None
    try:
        # "scanning" is the build's first event: it holds the writer lock by then.
        assert "scanning" in lines_until(builder.stderr, "scanning")[-1]
        os.kill(builder.pid, signal.SIGSTOP)  # the build stays mid-way while we look
        asker = subprocess.Popen(
            [*QA, "ask", PESKOV, "--json", "--index", index],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        seen = lines_until(asker.stderr, "waiting for another qa")
        assert f"finish building the library at {index}" in seen[-1], seen
        assert asker.poll() is None
    finally:
        os.kill(builder.pid, signal.SIGCONT)
    assert builder.wait(timeout=600) == 0
    out, err = asker.communicate(timeout=600)
    assert asker.returncode == 0, err
    assert "Peskov" in json.loads(out)["hits"][0]["text"]


async def test_the_chat_on_an_index_being_built_waits_for_its_build(tmp_path: Path) -> None:
    from tui.state import FAILED

    index = tmp_path / "index"
    connect(index, create=True).close()  # what a first build has made when it starts
    lock = WriterLock(index)
    lock.acquire()  # ... and it holds the writer lock
    app = make_app(index)
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            # That build ends without a commit: once released, the chat reports an error.
            await waits_then_goes_on(pilot, app, lock, unsettled=(READY, FAILED))
            await wait_until(pilot, lambda: app.library_state.phase == FAILED, what="failed")
            assert "never completed a build" in (app.library_state.error or "")
    finally:
        lock.release()


# -- 14: dates, and filters that exclude everything ---------------------------------------


@pytest.mark.parametrize(
    "value", ["banana", "2025-02-30", "2025-13", "2025/01", "10/01/2025", "2025-01/10", "0000"]
)
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_a_date_that_is_not_one_is_a_usage_error(
    dated_index: Path, option: str, value: str
) -> None:
    result = qa("ask", PESKOV, option, value, "--index", str(dated_index))
    assert result.returncode == 2, result.stdout
    line = one_line(result.stderr)
    assert f"{option} {value!r} is not a date" in line
    assert "YYYY-MM-DD, YYYY/MM/DD, YYYY-MM or YYYY" in line
    assert result.stdout == b""


def test_a_bad_date_with_questions_on_stdin_is_a_usage_error(dated_index: Path) -> None:
    result = qa("ask", "-", "--since", "banana", "--index", str(dated_index), stdin=PESKOV)
    assert result.returncode == 2
    assert "--since 'banana' is not a date" in one_line(result.stderr)


def articles_found(index: Path, *filters: str, question: str = "bridge apricot reserve") -> set:
    """Every article cited by the answer (duplicates collapsed into a hit count too)."""
    result = qa("ask", question, "--json", "-k", "20", "--index", str(index), *filters)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)["hits"]
    return {c["article"] for hit in hits for c in (hit["citation"], *hit["also_cited"])}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (("--since", "2022/04/20"), {"orchard-frost.md"}),
        (("--since", "2022"), {"orchard-frost.md"}),
        (("--until", "2021-03"), {"harbour-bridge.txt"}),  # through the end of March
        (("--until", "2021"), {"harbour-bridge.txt"}),
        (
            ("--since", "2021-03-04", "--until", "2022-04-20"),
            {"harbour-bridge.txt", "orchard-frost.md"},
        ),
    ],
)
def test_accepted_date_forms(dated_index: Path, filters: tuple[str, ...], expected: set) -> None:
    assert articles_found(dated_index, *filters) == expected


def test_stored_dates_in_any_form_meet_the_filters_as_dates(tmp_path: Path) -> None:
    # `published` comes from the articles, in any form: the readers store an ISO day (or
    # nothing, with a note), which the normalised filter then compares exactly.
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, published in {
        "spelled.txt": "March 4, 2021",
        "slashes.txt": "2021/03/04",
        "stamp.txt": "2021-03-04T10:00:00Z",
        "rfc.txt": "Thu, 04 Mar 2021 10:00:00 +0000",
        "vague.txt": "sometime in 2021",
    }.items():
        (folder / name).write_text(
            f"Title: {name}\nPublished: {published}\n\nThe bridge reopened ({name}).\n",
            encoding="utf-8",
        )
    line = {"title": "Wire", "text": "The bridge reopened (wire).", "published": "4 March 2021"}
    (folder / "wire.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    build(tmp_path / "index", folder)
    index = tmp_path / "index"
    dated = {"spelled.txt", "slashes.txt", "stamp.txt", "rfc.txt", "wire.jsonl#0"}
    assert articles_found(index, "--since", "2021/03/04", "--until", "2021-03") == dated
    assert articles_found(index, "--until", "2021") == dated
    empty = qa("ask", "bridge", "--json", "--since", "2021-03-05", "--index", str(index))
    assert json.loads(empty.stdout)["notice"] == (
        "--since 2021-03-05 excludes all 6 articles: 1 undated article and "
        "5 articles published before 2021-03-05"
    )


@pytest.mark.parametrize(
    ("filters", "notice"),
    [
        (
            ("--article", "xyz"),
            "no article's file or title contains 'xyz' (--article excludes all 3)",
        ),
        (  # "_" is a LIKE wildcard: it matched every name
            ("--article", "_"),
            "no article's file or title contains '_' (--article excludes all 3)",
        ),
        (
            ("--source", "wire"),
            "no article's source contains 'wire' (--source excludes all 3)",
        ),
        (
            ("--until", "2021-03-03"),
            "--until 2021-03-03 excludes all 3 articles: 1 undated article and "
            "2 articles published after 2021-03-03",
        ),
        (
            ("--article", "harbour", "--since", "2022"),
            "the filters together exclude all 3 articles "
            "(--article 'harbour' keeps 1 of 3, --since 2022 keeps 1 of 3)",
        ),
    ],
)
def test_filters_that_exclude_everything_say_which_and_how_many(
    dated_index: Path, filters: tuple[str, ...], notice: str
) -> None:
    text = qa("ask", PESKOV, "--index", str(dated_index), *filters)
    assert text.returncode == 0
    assert text.stdout.decode().strip() == f"No passages found: {notice}"
    as_json = qa("ask", PESKOV, "--json", "--index", str(dated_index), *filters)
    answer = json.loads(as_json.stdout)
    assert answer["notice"] == notice and answer["hits"] == []


def test_undated_articles_excluded_by_since_are_counted(tmp_path: Path) -> None:
    build(tmp_path / "index", make_library(tmp_path / "articles", extra=False))
    result = qa("ask", PESKOV, "--since", "2020-01-01", "--index", str(tmp_path / "index"))
    assert result.stdout.decode().strip() == (
        "No passages found: 1 undated article is excluded by --since 2020-01-01"
    )
    assert b"No confident answer" not in result.stdout


def test_an_empty_library_says_so(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    build(tmp_path / "index", tmp_path / "articles")
    result = qa("ask", PESKOV, "--index", str(tmp_path / "index"))
    assert result.returncode == 0
    assert result.stdout.decode().strip() == (
        f"No passages found: the library at {tmp_path / 'index'} holds no articles yet"
    )


def test_an_answer_with_hits_has_no_notice(dated_index: Path) -> None:
    answer = json.loads(qa("ask", PESKOV, "--json", "--index", str(dated_index)).stdout)
    assert answer["hits"] and answer["notice"] is None


async def test_chat_refuses_a_bad_date_and_explains_an_empty_answer(dated_index: Path) -> None:
    app = make_app(dated_index)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        screen = chat(pilot)
        await _command(pilot, "/since banana")
        assert screen.filters is None or screen.filters.since is None
        assert "since" not in str(screen.query_one(StatusLine).render())
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("/since 'banana' is not a date" in message for message in errors), errors
        await _command(pilot, "/until 2021-03")
        assert screen.filters is not None and screen.filters.until == "2021-03"
        await _command(pilot, "/since 2022")  # after /until: no date is in that range
        assert screen.filters.since is None
        await _command(pilot, "/clear")
        await _command(pilot, "/article xyz")
        view = await ask(pilot, PESKOV)
        line = str(view.query_one(".answer-line").render())
        assert line == (
            "No passages found: no article's file or title contains 'xyz' (/article excludes all 3)"
        )


async def _command(pilot, text: str) -> None:  # noqa: ANN001
    box = chat(pilot).query_one("#question")
    box.value = text  # type: ignore[attr-defined]
    await pilot.press("enter")
    await pilot.pause()


# -- 16: nothing written outside the user's folders ---------------------------------------


@pytest.fixture(scope="module")
def module_fixture_paths() -> dict[str, Path]:
    """Where a module-scoped fixture (it runs before the per-test QA_HOME) would write."""
    from index.locations import cache_dir, default_index_dir

    return {"cache": cache_dir(), "index": default_index_dir(), "home": Path.home()}


def test_the_test_session_writes_only_under_pytest_tmp(
    module_fixture_paths: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    import tempfile

    base = tmp_path_factory.getbasetemp().resolve()
    for name, path in module_fixture_paths.items():
        assert path.resolve().is_relative_to(base), (name, path)
    for variable in ("HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "TMPDIR"):
        assert Path(os.environ[variable]).resolve().is_relative_to(base), variable
    assert Path(tempfile.gettempdir()).resolve().is_relative_to(base)


def test_build_ask_and_eval_write_nothing_outside_their_folders(tmp_path: Path) -> None:
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    articles = make_library(tmp_path / "articles", extra=False)
    questions = tmp_path / "questions.jsonl"
    row = {"question": PESKOV, "article": SAMPLE, "paragraph": 1}
    questions.write_text(json.dumps(row) + "\n", encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("XDG_", "HF_", "TORCH", "ORT_", "QA_"))
    }
    # A fresh cache: the model is exported to ONNX here too (torch loads).
    env |= {
        "HOME": str(home),
        "TMPDIR": str(temp),
        "QA_HOME": str(tmp_path / "qa-home"),
        "QA_CACHE_DIR": str(tmp_path / "cache"),
    }
    index = str(tmp_path / "index")
    for args in (
        ("index", "build", str(articles), "--index", index),
        ("ask", PESKOV, "--index", index),
        ("ask", PESKOV),  # the default library, on first use
        ("eval", str(questions), "--articles", str(articles)),
    ):
        result = subprocess.run([*QA, *args], capture_output=True, env=env, timeout=600)
        assert result.returncode == 0, result.stderr
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == []
    assert sorted(str(p.relative_to(temp)) for p in temp.rglob("*")) == []


# -- 17: cheap checks before the model loads ----------------------------------------------


def fresh_cache(tmp_path: Path) -> dict[str, str]:
    return {"QA_CACHE_DIR": str(tmp_path / "cache")}


def no_export(tmp_path: Path) -> bool:
    return not (tmp_path / "cache" / "onnx").exists()


@pytest.mark.parametrize("stdin", [None, PESKOV])
def test_an_unbuilt_index_is_reported_before_the_model_loads(
    tmp_path: Path, stdin: str | None
) -> None:
    unbuilt = tmp_path / "unbuilt"
    connect(unbuilt, create=True).close()  # as a build interrupted before its commit
    question = PESKOV if stdin is None else "-"
    result = qa("ask", question, "--index", str(unbuilt), env=fresh_cache(tmp_path), stdin=stdin)
    assert result.returncode == 3
    assert "never completed a build" in one_line(result.stderr)
    assert no_export(tmp_path)


def test_an_index_of_another_model_is_refused_before_the_model_loads(tmp_path: Path) -> None:
    import sqlite3

    index = tmp_path / "index"
    build(index, make_library(tmp_path / "articles", extra=False))
    with sqlite3.connect(index / "library.sqlite") as conn:
        conn.execute("UPDATE meta SET value = 'other-model@0123' WHERE key = 'model_id'")
    result = qa("ask", PESKOV, "--index", str(index), env=fresh_cache(tmp_path))
    assert result.returncode == 3
    assert "other-model@0123" in one_line(result.stderr)
    assert no_export(tmp_path)


@pytest.mark.parametrize(
    "content",
    ['{"turns": [{"question": 1, "searched": 2}]}', '{"turns": [{"question": "q"}]}', "[1]"],
)
def test_a_bad_session_file_is_a_usage_error_before_anything_loads(
    tmp_path: Path, isolated_home: Path, content: str
) -> None:
    session = tmp_path / "talk.json"
    session.write_text(content, encoding="utf-8")
    result = qa("ask", PESKOV, "--session", str(session), env=fresh_cache(tmp_path))
    assert result.returncode == 2
    assert "not a conversation file" in one_line(result.stderr)
    assert not isolated_home.exists() and no_export(tmp_path)


@pytest.mark.parametrize("kind", ["fifo", "deep", "huge"])
def test_a_session_that_is_a_pipe_deep_or_huge_is_refused_without_reading_it(
    tmp_path: Path, isolated_home: Path, kind: str
) -> None:
    session = tmp_path / "talk.json"
    if kind == "fifo":
        os.mkfifo(session)  # reading it would block forever: no writer ever comes
    elif kind == "deep":
        session.write_text("[" * 100_000, encoding="utf-8")
    else:
        with open(session, "wb") as handle:
            handle.truncate(20_000_000)
    result = qa("ask", PESKOV, "--session", str(session), env=fresh_cache(tmp_path))
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"qa: --session {session}: ")
    assert not isolated_home.exists() and no_export(tmp_path)


@pytest.mark.parametrize(
    "args",
    [("ask", PESKOV, "-k", "0"), ("ask", " "), ("ask", PESKOV, "--since", "soon")],
)
def test_a_bad_request_on_a_new_library_builds_nothing(
    tmp_path: Path, isolated_home: Path, args: tuple[str, ...]
) -> None:
    result = qa(*args, env=fresh_cache(tmp_path))
    assert result.returncode == 2
    one_line(result.stderr)
    assert not isolated_home.exists() and no_export(tmp_path)


def test_eval_reads_both_question_files_before_indexing(tmp_path: Path) -> None:
    articles = make_library(tmp_path / "articles", extra=False)
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"question": PESKOV, "article": SAMPLE, "paragraph": 1}) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"question": "\xff"}\n')
    for questions, foreign in ((good, bad), (bad, good)):
        result = qa(
            "eval", str(questions), "--articles", str(articles), "--foreign", str(foreign),
            env=fresh_cache(tmp_path),
        )  # fmt: skip
        assert result.returncode == 2
        assert str(bad) in one_line(result.stderr)
    assert not (tmp_path / "cache" / "eval").exists() and no_export(tmp_path)
