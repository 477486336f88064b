"""Errors reach the user as one clear line in the app, and never leave the input locked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from library_fixtures import build, make_library
from tui_support import ask, chat, make_app, wait_until

from index.store.lock import WriterLock
from tui.app import QAApp
from tui.state import FAILED
from tui.widgets.question_input import QuestionInput
from tui.widgets.status_line import StatusLine


async def test_missing_index_is_shown_and_the_input_stays_usable(tmp_path: Path) -> None:
    app = make_app(tmp_path / "no-such-index")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.library_state.phase == FAILED, what="failure")
        assert "no index" in str(chat(pilot).query_one(StatusLine).render())
        view = await ask(pilot, "What did Peskov say?")
        assert view.turn.error and "no index" in view.turn.error
        assert "Error:" in str(view.query_one(".answer-line").render())
        box = chat(pilot).query_one(QuestionInput)
        assert not box.locked and app.focused is box


async def test_model_mismatch_is_refused_clearly(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build(index_dir, make_library(tmp_path / "articles", extra=False))
    with sqlite3.connect(index_dir / "library.sqlite") as conn:
        conn.execute("UPDATE meta SET value = 'some-other-model@0123' WHERE key = 'model_id'")
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: app.library_state.phase == FAILED, what="failure")
        error = app.library_state.error or ""
        assert "model" in error and "\n" not in error
        view = await ask(pilot, "What did Peskov say?")
        assert view.turn.error
        assert not chat(pilot).query_one(QuestionInput).locked


async def test_question_typed_while_loading_waits_then_is_answered(tmp_path: Path) -> None:
    # A fresh QA_HOME: the default library is built on first use, inside the app. The
    # test holds the index's writer lock, as another qa building it would, so the library
    # cannot be ready when the question is typed: the waiting is certain, not a race.
    from index.locations import default_index_dir

    lock = WriterLock(default_index_dir())
    lock.acquire()
    app = make_app(default_index_dir())
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            screen = chat(pilot)
            box = screen.query_one(QuestionInput)
            box.value = "What did Peskov say?"
            await pilot.press("enter")
            assert not app.library_state.settled
            assert box.locked
            assert "waiting" in str(screen.views[1].query_one(".answer-line").render())
            lock.release()
            await wait_until(pilot, lambda: screen.current is None, timeout=120, what="answer")
            answer = screen.turns[0].answer
            assert answer is not None and "Peskov" in " ".join(h.text for h in answer.hits[:2])
            assert not box.locked
    finally:
        lock.release()


async def test_a_library_that_cannot_open_is_shown_and_the_input_stays_usable(
    tmp_path: Path,
) -> None:
    # Opened by path, as `qa` does: the library opens in the loading worker, after the
    # first frame, so its error arrives as a message rather than at mount.
    index_dir = tmp_path / "index"
    app = QAApp(index_dir=index_dir, model=str(tmp_path / "no-such-model"), show_timings=False)
    async with app.run_test(size=(100, 40)) as pilot:
        assert str(index_dir) in str(chat(pilot).query_one(StatusLine).render())
        await wait_until(pilot, lambda: app.library_state.phase == FAILED, what="failure")
        assert "model folder not found" in str(chat(pilot).query_one(StatusLine).render())
        view = await ask(pilot, "What did Peskov say?")
        assert view.turn.error
        assert not chat(pilot).query_one(QuestionInput).locked
