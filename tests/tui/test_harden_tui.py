"""Hostile library text in the chat, and rebuilding a library that does not exist.

Issue 11: item 5 (control characters never reach the terminal: tmux's pane title stays
put), item 6 (Textual markup in file names and titles is shown literally: no
MarkupError, no live `@click` link) and item 13 (Ctrl+R on a missing index says so and
creates nothing). Pilot tests over a real index and the real model; the pane-title test
runs `qa chat` in tmux.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from hostile_support import RAW, write_hostile_library
from library_fixtures import build, make_library
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Static
from tui_support import ask, chat, make_app, wait_ready, wait_until

from tui.screens.reader import ReaderScreen
from tui.screens.rebuild import RebuildScreen
from tui.state import FAILED
from tui.widgets.status_line import StatusLine
from tui.widgets.turn import AnswerCard

REPO = Path(__file__).resolve().parents[2]
QUESTION = "Who painted the zebra crossing?"

MARKUP_TITLE = "[@click=app.quit]Quit now[/] and [/x] [b]bold[/b]"
MARKUP_NAME = "[@click=app.quit]zebra.txt"
BROKEN_MARKUP_PATH = ("[", "x].txt")
"""A folder `[` holding `x].txt`: the path reads `.../[/x].txt`, a closing tag."""
LINK_NAME = "[@click=app.quit]QUIT QUIT QUIT QUIT QUIT QUIT.txt"
"""A binary file: only its name is shown, in the rebuild screen's list of skipped files."""


def write_markup_library(folder: Path) -> Path:
    """The hostile library, plus an article whose title and file name are markup."""
    write_hostile_library(folder)
    (folder / MARKUP_NAME).write_text(
        f"Title: {MARKUP_TITLE}\nSource: [red]Markup Gazette[/red]\n\n"
        "A third zebra crossing was painted green on Pine street by volunteers.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory, session_cache: Path) -> Path:
    root = tmp_path_factory.mktemp("hostile-tui")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QA_HOME", str(root / "home"))
        patch.setenv("QA_CACHE_DIR", str(session_cache))
        build(root / "index", write_markup_library(root / "articles"))
    return root / "index"


def shown(widget: Static | AnswerCard | StatusLine) -> str:
    """The text a widget draws (its content, markup already applied)."""
    return str(widget.render())


def notifications(pilot: Pilot) -> list[str]:
    return [n.message for n in pilot.app._notifications]  # noqa: SLF001


def assert_no_raw_controls(text: str) -> None:
    found = RAW.search(text)
    assert found is None, f"raw {found.group()!r} in {text!r}"


async def test_library_text_reaches_widgets_escaped_and_literal(hostile_index: Path) -> None:
    app = make_app(hostile_index)
    async with app.run_test(size=(120, 50)) as pilot:
        await wait_ready(pilot)
        view = await ask(pilot, QUESTION)
        cards = {card.hit.citation.title: card for card in view.cards}
        zebra = next(card for title, card in cards.items() if title.startswith("Zebra\x1b"))
        markup = cards[MARKUP_TITLE]
        texts = [shown(card) for card in view.cards]
        texts += [shown(view.query_one(".answer-line", Static))]
        texts += [shown(chat(pilot).query_one(StatusLine))]
        for text in texts:
            assert_no_raw_controls(text)
        # Escaped where the article had control characters, literal where it had markup.
        assert "Zebra\\x1b]0;OWNED\\x1b\\ crossing \\u202eevil\\u202c" in shown(zebra)
        assert "zebra\\x1b]0;FILE\\x07\\u202e\\nqa: error: forged\\r.txt" in shown(zebra)
        assert MARKUP_TITLE in shown(markup) and MARKUP_NAME in shown(markup)
        assert "[red]Markup Gazette[/red]" in shown(markup)

        # The citation's notification quotes title and file: plain and escaped.
        zebra.focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: notifications(pilot), what="citation copied")
        markup.focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: len(notifications(pilot)) == 2, what="second copy")
        copied = notifications(pilot)
        assert "Zebra\\x1b]0;OWNED" in copied[0] and MARKUP_TITLE in copied[1]
        for message in copied:
            assert_no_raw_controls(message)
        await pilot.pause()
        assert app.is_running

        # The reader: title, source, file name and paragraphs.
        zebra.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReaderScreen), what="reader")
        reader = app.screen
        await wait_until(pilot, lambda: reader.cited is not None, what="paragraphs")
        title = shown(reader.query_one("#reader-title", Static))
        assert "Zebra\\x1b]0;OWNED" in title and "Herald\\x1b[2J" in title
        paragraphs = [shown(p) for p in reader.query(".paragraph").results(Static)]
        assert any("street\\x1b]0;PARA\\x1b\\ was painted blue\\u2028" in p for p in paragraphs)
        for text in [title, *paragraphs]:
            assert_no_raw_controls(text)
        # The cited passage is still shaded from its first character, escapes and all.
        cited = reader.cited.render()
        assert isinstance(cited, Content) and cited.spans


async def test_a_broken_markup_file_name_in_the_skipped_list_is_shown(tmp_path: Path) -> None:
    folder = make_library(tmp_path / "articles", extra=False)
    (folder / BROKEN_MARKUP_PATH[0]).mkdir()
    (folder / BROKEN_MARKUP_PATH[0] / BROKEN_MARKUP_PATH[1]).write_bytes(b"\x00binary\x00")
    build(tmp_path / "index", folder)
    app = make_app(tmp_path / "index")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        screen = await rebuilt(pilot)
        skipped = shown(screen.query_one("#rebuild-skipped", Static))
        assert f"{folder}/[/x].txt: binary file, not text" in skipped
        assert app.is_running


async def test_a_click_link_in_a_file_name_is_not_live(tmp_path: Path) -> None:
    folder = make_library(tmp_path / "articles", extra=False)
    (folder / LINK_NAME).write_bytes(b"\x00binary\x00")
    build(tmp_path / "index", folder)
    app = make_app(tmp_path / "index")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        screen = await rebuilt(pilot)
        widget = screen.query_one("#rebuild-skipped", Static)
        content = widget.render()
        assert LINK_NAME in str(content)
        assert isinstance(content, Content)
        assert not [span for span in content.spans if "@click" in str(span.style)]
        # Click along every line of the list (a link would span the whole name, longer
        # than the step): none of the clicks quits the app.
        for y, line in enumerate(str(content).splitlines()[: widget.region.height]):
            for x in range(0, min(len(line), widget.region.width), 3):
                await pilot.click(widget, offset=(x, y))
                assert app.is_running and app.screen is screen, (x, y)


async def rebuilt(pilot: Pilot) -> RebuildScreen:
    """Ctrl+R, then wait for the rebuild to finish; returns the rebuild screen."""
    app = pilot.app
    app.action_rebuild()  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: isinstance(app.screen, RebuildScreen), what="screen")
    await wait_until(
        pilot,
        lambda: not app.build_state.running,
        timeout=60,
        what="build",  # type: ignore[attr-defined]
    )
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, RebuildScreen)
    assert app.build_state.report is not None, app.build_state  # type: ignore[attr-defined]
    return screen


async def test_rebuilding_a_missing_index_says_so_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-index"
    app = make_app(missing)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.library_state.phase == FAILED, what="failure")
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: any("does not exist" in m for m in notifications(pilot)), what="why"
        )
        message = next(m for m in notifications(pilot) if "does not exist" in m)
        assert f"qa index build PATH --index {missing}" in message
        assert app.build_state is None
        assert not isinstance(app.screen, RebuildScreen)
        await pilot.pause(0.2)
        assert not missing.exists()
    assert not missing.exists()


# -- the pane title in a real terminal ------------------------------------------------


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], check=True, capture_output=True, text=True, timeout=10
    ).stdout


def pane_title(session: str) -> str:
    return tmux("display-message", "-p", "-t", session, "#{pane_title}").strip()


def wait_for_screen(session: str, wanted: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if wanted in screen:
            return screen
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {wanted!r}; the screen was:\n{screen}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_an_article_cannot_set_the_pane_title(
    hostile_index: Path, session_cache: Path, tmp_path: Path
) -> None:
    session = f"qa-title-{uuid.uuid4().hex[:8]}"
    env = {
        "QA_HOME": str(tmp_path / "home"),
        "QA_CACHE_DIR": str(session_cache),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TERM": "xterm-256color",
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    index = str(hostile_index).replace("'", "'\\''")
    command = f"cd {REPO} && env {exports} {sys.executable} -m qa chat --index '{index}'; sleep 30"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command)
    try:
        tmux("select-pane", "-t", session, "-T", "sentinel")
        # The status line names the library once it is open; a question asked while the
        # model still loads waits for it ("ready" may be cut off on a narrow pane).
        wait_for_screen(session, "passages", timeout=90)
        tmux("send-keys", "-t", session, QUESTION, "Enter")
        # Until the title is on screen as text, or the pane's title has changed.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-p", "-t", session)
            if "\\x1b]0;OWNED" in screen or pane_title(session) != "sentinel":
                break
            time.sleep(0.25)
        assert pane_title(session) == "sentinel"
        assert "\\x1b]0;OWNED" in screen
        # The reader shows a title and the paragraphs too.
        tmux("send-keys", "-t", session, "Tab")
        tmux("send-keys", "-t", session, "Enter")
        screen = wait_for_screen(session, "Back to chat", timeout=30)
        assert "Traceback" not in screen
        assert pane_title(session) == "sentinel"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=10)
