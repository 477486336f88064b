"""Issue 12: small things a user trips over in the chat, driven by Pilot over a real index.

Focus after the reader, typing while a card has focus, `?` inside and outside the box,
the command palette (Ctrl+P), counts in the singular, and the sample's example question
shown for the sample library only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from library_fixtures import build, make_library
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from tui_support import ask, chat, make_app, wait_ready, wait_until

from index.locations import default_index_dir
from tui.screens.chat import ChatScreen
from tui.screens.help import HelpScreen
from tui.screens.reader import ReaderScreen
from tui.widgets.question_input import QuestionInput
from tui.widgets.status_line import StatusLine
from tui.widgets.turn import AnswerCard
from tui.widgets.welcome import Welcome


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample and two more articles in a folder of the user's own."""
    root = tmp_path_factory.mktemp("keys-lib")
    build(root / "index", make_library(root / "articles"))
    return root / "index"


def box(pilot: Pilot) -> QuestionInput:
    return chat(pilot).query_one(QuestionInput)


async def test_escape_from_the_reader_puts_focus_in_the_question_box(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "When will Putin and Lukashenko meet?")
        await pilot.press("tab")
        assert isinstance(app.focused, AnswerCard)
        await pilot.press("enter")
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.focused is box(pilot), what="focus in the box")
        assert app.screen is chat(pilot)
        await pilot.press("a", "n", "d")
        assert box(pilot).value == "and"


async def test_typing_on_a_card_goes_to_the_box_and_card_keys_still_work(
    index_dir: Path,
) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "What did Peskov say?")
        await pilot.press("tab", "c")
        card = app.focused
        assert isinstance(card, AnswerCard)
        # `c` is the card's key: it copied the citation, it typed nothing.
        assert app.clipboard.startswith(card.hit.citation.label()) and box(pilot).value == ""
        await pilot.press("W", "h", "o")
        assert app.focused is box(pilot)
        assert box(pilot).value == "Who"


async def test_question_mark_is_help_outside_the_box_and_a_character_in_it(
    index_dir: Path,
) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "What did Peskov say?")
        await pilot.press("tab")
        assert isinstance(app.focused, AnswerCard)
        await pilot.press("?")
        assert isinstance(app.screen, HelpScreen)
        assert box(pilot).value == ""
        await pilot.press("escape")
        assert isinstance(app.focused, AnswerCard), "help gives focus back where it was"
        await pilot.press("escape", "?")
        assert app.screen is chat(pilot) and box(pilot).value == "?"


async def run_from_palette(pilot: Pilot, command: str) -> None:
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
    await pilot.press(*command)
    matches = app.screen.query_one(CommandList)
    await wait_until(
        pilot,
        lambda: matches.highlighted == 0 and command in str(matches.get_option_at_index(0).prompt),
        what=f"the palette's match for {command!r}",
    )
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette), what="closed")


async def test_palette_offers_rebuild_export_open_and_help(index_dir: Path, tmp_path: Path) -> None:
    app = make_app(index_dir, export_dir=tmp_path / "exports")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert titles[:4] == ["Rebuild", "Export", "Open", "Help"]
        await ask(pilot, "What did Peskov say?")
        await run_from_palette(pilot, "Export")
        await wait_until(
            pilot, lambda: list((tmp_path / "exports").glob("chat-*.md")), what="the export"
        )
        await run_from_palette(pilot, "Help")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")


async def test_palette_open_runs_the_chat_screens_open_source_action(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[AnswerCard] = []

    def action_open_source(self: ChatScreen) -> None:
        # Stands in for the chat's own action: the palette must reach it by name.
        assert isinstance(self.focused, AnswerCard)
        opened.append(self.focused)

    monkeypatch.setattr(ChatScreen, "action_open_source", action_open_source, raising=False)
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "What did Peskov say?")
        await pilot.press("tab")
        card = app.focused
        await run_from_palette(pilot, "Open")
        await wait_until(pilot, lambda: opened, what="open_source run")
        assert opened == [card]


async def test_palette_open_without_the_action_says_so(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(ChatScreen, "action_open_source", raising=False)
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await run_from_palette(pilot, "Open")
        await wait_until(
            pilot,
            lambda: any("not available" in n.message for n in app._notifications),
            what="the notice",
        )


async def test_one_article_is_counted_in_the_singular(tmp_path: Path) -> None:
    folder = make_library(tmp_path / "articles", extra=False)
    build(tmp_path / "index", folder)
    app = make_app(tmp_path / "index")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        status = str(chat(pilot).query_one(StatusLine).render())
        assert "· 1 article ·" in status, status


def welcome_text(pilot: Pilot) -> str:
    return str(chat(pilot).query_one(Welcome).render())


async def test_the_sample_question_is_suggested_for_the_sample_library_only(
    index_dir: Path,
) -> None:
    app = make_app(default_index_dir())  # first use: the bundled sample, indexed
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await wait_until(pilot, lambda: "Peskov" in welcome_text(pilot), what="sample hint")
    own = make_app(index_dir)  # the same sample article, among the user's own
    async with own.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.pause()
        assert "Ask a question" in welcome_text(pilot)
        assert "Peskov" not in welcome_text(pilot)
