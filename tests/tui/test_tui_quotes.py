"""Quote cards in the chat: a who-said-what answer shows the speaker's quotes first.

Pilot over a real build of the sample library: "What did Peskov say?" has two stored
Dmitry Peskov quotes (paragraphs 1 and 3); a question of another shape has none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from library_fixtures import build, make_library
from tui_support import ask, chat, make_app, wait_ready, wait_until

from tui.screens.reader import ReaderScreen
from tui.widgets.question_input import QuestionInput
from tui.widgets.turn import AnswerCard, QuoteCard


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tui-quotes")
    build(root / "index", make_library(root / "articles"))
    return root / "index"


async def test_quote_cards_come_before_the_passages_and_open_the_reader(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        view = await ask(pilot, "What did Peskov say?")
        quotes = view.quote_cards
        assert [card.hit.citation.paragraph for card in quotes] == [1, 3]
        assert view.all_cards[: len(quotes)] == quotes  # before the first passage card
        assert view.all_cards[len(quotes)] is view.cards[0]
        for card in quotes:
            shown = str(card.render())
            assert shown.splitlines()[0].endswith("Dmitry Peskov")
            assert card.quote.text in shown and "cue: " in shown
        assert "paragraph 3" in str(quotes[1].render())

        await pilot.press("tab")
        assert app.focused is quotes[0]
        await pilot.press("down")
        assert app.focused is quotes[1]
        await pilot.press("enter")
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        await wait_until(pilot, lambda: reader.cited is not None, what="reader loaded")
        assert reader.cited is not None and reader.cited.id == "paragraph-3"
        # The quote's words are what the reader marks in the paragraph.
        assert quotes[1].quote.text in str(reader.cited.render())
        await pilot.press("escape")
        assert app.screen is chat(pilot)
        # Escape from the reader lands in the question box; Tab goes back into the cards.
        box = chat(pilot).query_one(QuestionInput)
        await wait_until(pilot, lambda: app.focused is box, what="focus in the box")
        await pilot.press("tab", "down", "down")  # past the two quote cards to the first passage
        assert isinstance(app.focused, AnswerCard) and app.focused is view.cards[0]


async def test_other_questions_show_no_quote_cards(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        view = await ask(pilot, "When will Putin and Lukashenko meet?")
        assert view.cards and not view.quote_cards
        assert not view.query(QuoteCard)


async def test_quoted_markup_stays_text(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "hostile.txt").write_text(
        "Title: Hostile\n\n“Press [@click=app.quit]here[/] \x1b]0;OWNED\x07 now,” said Jane Doe.",
        encoding="utf-8",
    )
    build(tmp_path / "index", folder)
    app = make_app(tmp_path / "index")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        view = await ask(pilot, "What did Jane Doe say?")
        (card,) = view.quote_cards
        shown = str(card.render())
        assert "[@click=app.quit]here[/]" in shown and "\x1b" not in shown
        await pilot.click(card)
        assert isinstance(app.screen, ReaderScreen)
