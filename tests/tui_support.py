"""Helpers for the TUI tests: an app over a real index, and waiting on its workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from library_fixtures import embedder
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from qa import Library
from tui.app import QAApp
from tui.screens.chat import ChatScreen
from tui.state import READY
from tui.widgets.question_input import QuestionInput
from tui.widgets.turn import TurnView


def make_app(index_dir: Path, *, watch: bool = False, **kwargs: object) -> QAApp:
    """An app over `index_dir` sharing the session's model (loading it is the slow part).

    Not watching its folders unless `watch`: tests that change a folder and rebuild
    decide themselves when the index changes.
    """
    app = QAApp(Library(index_dir, embedder()), show_timings=False, **kwargs)  # type: ignore[arg-type]
    app.chat.watch_library = watch
    return app


async def wait_until(
    pilot: Pilot, predicate: Callable[[], object], timeout: float = 30.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)
        await pilot.pause()


async def wait_ready(pilot: Pilot) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.library_state.phase == READY, what="library ready")


def chat(pilot: Pilot) -> ChatScreen:
    return pilot.app.chat  # type: ignore[attr-defined]


async def ask(pilot: Pilot, question: str) -> TurnView:
    """Type `question`, press Enter, wait for its answer or error; return its turn view."""
    screen = chat(pilot)
    box = screen.query_one(QuestionInput)
    box.focus()
    box.value = question
    before = len(screen.turns)
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: len(screen.turns) > before and screen.current is None,
        what=f"answer to {question!r}",
    )
    view = screen.views[len(screen.turns)]
    # The answer line is laid out for the "searching" text first; on a loaded machine a
    # capture once caught it one row high, its citation cut off. Wait for the layout.
    line = view.query_one(".answer-line", Static)
    try:
        await wait_until(pilot, lambda: fits_its_content(line), timeout=10.0)
    except AssertionError:
        # Seen once in 700 tests on a loaded CI machine: the line kept the height laid
        # out for its old text for 30 s, until something asked for a layout. Ask once.
        line.refresh(layout=True)
        await wait_until(pilot, lambda: fits_its_content(line), what="answer line laid out")
    # The transcript scrolls to the new turn after the next refresh: let it.
    await pilot.pause(0.1)
    await pilot.pause()
    return view


def fits_its_content(widget: Widget) -> bool:
    """Whether a widget's laid-out height is the height its current content needs."""
    size = widget.content_size
    return size.width > 0 and size.height == widget.get_content_height(
        size, widget.app.size, size.width
    )
