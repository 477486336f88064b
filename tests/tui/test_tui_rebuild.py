"""Rebuilding from the app: progress, cancel, and the old index answering meanwhile."""

from __future__ import annotations

from pathlib import Path

from library_fixtures import build, make_library
from textual.widgets import ProgressBar
from tui_support import ask, chat, make_app, wait_ready, wait_until

from tui.screens.rebuild import RebuildScreen
from tui.widgets.status_line import StatusLine

NEW_ARTICLES = 60


def add_zeppelin_articles(folder: Path) -> None:
    for n in range(NEW_ARTICLES):
        (folder / f"zeppelin-{n:02}.txt").write_text(
            f"Title: Zeppelin flight {n}\nSource: Airship Weekly\n\n"
            f"The zeppelin number {n} crossed the lake at dawn with {n + 10} passengers.\n\n"
            f"Its captain said the zeppelin would fly again on day {n} of the festival.",
            encoding="utf-8",
        )


async def test_rebuild_shows_progress_cancels_and_commits(tmp_path: Path) -> None:
    folder = make_library(tmp_path / "articles")
    index_dir = tmp_path / "index"
    build(index_dir, folder)
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        add_zeppelin_articles(folder)

        # Cancel at once: the build stops and the old index keeps answering. The actions
        # are called as Ctrl+R and Escape would: Pilot.press waits for the progress bar's
        # animation, that is for the whole build.
        app.action_rebuild()
        await wait_until(pilot, lambda: isinstance(app.screen, RebuildScreen), what="screen")
        app.screen.action_cancel_or_close()
        await wait_until(pilot, lambda: not app.build_state.running, what="cancel")
        assert app.build_state.cancelled, app.build_state
        assert isinstance(app.screen, RebuildScreen)
        assert "cancelled" in str(app.screen.query_one("#rebuild-stage").render())
        await pilot.press("escape")
        view = await ask(pilot, "Which zeppelin crossed the lake?")
        answer = view.turn.answer
        assert answer is not None
        assert not any(h.citation.article.startswith("zeppelin") for h in answer.hits)

        # Build again, hide the screen, and keep asking while it runs.
        app.action_rebuild()
        await wait_until(pilot, lambda: isinstance(app.screen, RebuildScreen), what="screen")
        screen = app.screen
        assert isinstance(screen, RebuildScreen)
        await wait_until(pilot, lambda: app.build_state.progress is not None, what="progress")
        bar = screen.query_one(ProgressBar)
        screen.action_hide()
        await pilot.pause()
        assert app.screen is chat(pilot)
        during = await ask(pilot, "What did Peskov say?")
        assert during.turn.answer is not None and during.turn.answer.hits
        await wait_until(pilot, lambda: not app.build_state.running, timeout=60, what="build")
        state = app.build_state
        assert state.report is not None and state.report.added == NEW_ARTICLES
        assert bar.total is not None
        status = str(chat(pilot).query_one(StatusLine).render())
        assert f"{3 + NEW_ARTICLES} articles" in status
        after = await ask(pilot, "Which zeppelin crossed the lake?")
        assert after.turn.answer is not None
        assert after.turn.answer.hits[0].citation.article.startswith("zeppelin")
