"""How the chat, the reader and the help screen look (pytest-textual-snapshot).

Deterministic by construction: a fixed terminal size, the default library (so the
status line names no temporary path), no timings and no score bars on screen (a bar can
flip a cell between runs when a score sits on a rounding edge).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from library_fixtures import build, make_library
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from tui_support import ask, chat, make_app, wait_ready, wait_until

from index.locations import default_index_dir
from tui.screens.reader import ReaderScreen

SIZE = (100, 34)


@pytest.fixture(autouse=True)
def home_holds_the_library(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cards show their file from `~`: with HOME at the test's folder, the same on every run."""
    monkeypatch.setenv("HOME", str(isolated_home))


def _app(home: Path):  # noqa: ANN202
    build(default_index_dir(), make_library(home / "articles"))
    return make_app(default_index_dir(), show_scores=False)


async def _settle(pilot: Pilot) -> None:
    """Let scrolling finish: on a loaded machine the capture can otherwise land mid-scroll."""
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await pilot.wait_for_animation()
    await pilot.pause()


def test_chat_with_an_answer(snap_compare, isolated_home: Path) -> None:  # noqa: ANN001
    async def run_before(pilot: Pilot) -> None:
        await wait_ready(pilot)
        view = await ask(pilot, "What did Peskov say?")
        transcript = chat(pilot).query_one("#transcript", VerticalScroll)

        def answer_on_top() -> bool:
            # The transcript scrolls the new turn to its top after a refresh; a capture
            # under load once landed a row short of it (the scrollbar's thumb moved).
            top = view.virtual_region_with_margin.y
            return transcript.scroll_y == min(top, transcript.max_scroll_y)

        await wait_until(pilot, answer_on_top, what="the answer at the top")
        await _settle(pilot)

    assert snap_compare(_app(isolated_home), terminal_size=SIZE, run_before=run_before)


def test_reader_on_the_cited_paragraph(snap_compare, isolated_home: Path) -> None:  # noqa: ANN001
    async def run_before(pilot: Pilot) -> None:
        await wait_ready(pilot)
        await ask(pilot, "When will Putin and Lukashenko meet?")
        await pilot.press("tab", "enter")
        screen = pilot.app.screen
        assert isinstance(screen, ReaderScreen)
        await wait_until(pilot, lambda: screen.cited is not None, what="reader")
        body = screen.query_one("#reader-body", VerticalScroll)

        def cited_on_top() -> bool:
            assert screen.cited is not None
            return body.scroll_y == min(screen.cited.virtual_region.y, body.max_scroll_y)

        await wait_until(pilot, cited_on_top, what="the cited paragraph at the top")
        await _settle(pilot)

    assert snap_compare(_app(isolated_home), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, isolated_home: Path) -> None:  # noqa: ANN001
    async def run_before(pilot: Pilot) -> None:
        await wait_ready(pilot)
        await pilot.press("f1")

    assert snap_compare(_app(isolated_home), terminal_size=SIZE, run_before=run_before)
