"""The chat TUI driven by Pilot over a real index and the real model."""

from __future__ import annotations

from pathlib import Path

import pytest
from library_fixtures import build, make_library
from textual.widgets import Input
from tui_support import ask, chat, make_app, wait_ready, wait_until

from tui.screens.help import HelpScreen
from tui.screens.reader import ReaderScreen
from tui.widgets.keys_footer import KeysFooter
from tui.widgets.question_input import QuestionInput
from tui.widgets.status_line import StatusLine
from tui.widgets.turn import AnswerCard


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index for the read-only tests of this module (building it is the slow part)."""
    root = tmp_path_factory.mktemp("tui-lib")
    folder = make_library(root / "articles")
    build(root / "index", folder)
    return root / "index"


def status_text(pilot) -> str:  # noqa: ANN001
    return str(chat(pilot).query_one(StatusLine).render())


def footer_text(pilot) -> str:  # noqa: ANN001
    footer = pilot.app.screen.query_one(KeysFooter)
    return " ".join(str(key.render()) for key in footer.children)


async def test_asking_shows_the_answer_and_cited_cards(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        status = status_text(pilot)
        assert "3 articles" in status and "passages" in status and "ready" in status
        view = await ask(pilot, "What did Peskov say?")
        answer = view.turn.answer
        assert answer is not None and answer.hits
        cards = view.cards
        assert len(cards) == len(answer.hits)
        rendered = str(cards[0].render())
        top = answer.hits[0]
        assert top.citation.title in rendered
        assert f"paragraph {top.citation.paragraph}" in rendered
        assert "Peskov" in " ".join(hit.text for hit in answer.hits[:2])
        line = str(view.query_one(".answer-line").render())
        assert "[1]" in line and top.best_sentence.strip()[:30] in line
        assert f"confidence {answer.confidence:.0%}" in line
        assert not chat(pilot).query_one(QuestionInput).locked


async def test_the_footer_shows_the_keys_of_what_has_focus(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "What did Peskov say?")
        await wait_until(pilot, lambda: "Quit" in footer_text(pilot), what="the app's keys")
        assert "Open in reader" not in footer_text(pilot)
        await pilot.press("tab")
        await wait_until(
            pilot, lambda: "Open in reader" in footer_text(pilot), what="the card's keys"
        )
        assert "Copy citation" in footer_text(pilot)
        await pilot.press("escape")
        await wait_until(
            pilot, lambda: "Open in reader" not in footer_text(pilot), what="the card's keys gone"
        )
        assert "Quit" in footer_text(pilot)


async def test_tab_enter_opens_the_reader_on_the_cited_paragraph(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        view = await ask(pilot, "When will Putin and Lukashenko meet?")
        await pilot.press("tab")
        assert isinstance(app.focused, AnswerCard) and app.focused is view.cards[0]
        await pilot.press("down")
        assert app.focused is view.cards[1]
        await pilot.press("up", "enter")
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        await wait_until(pilot, lambda: reader.cited is not None, what="reader loaded")
        await pilot.pause()
        hit = view.cards[0].hit
        cited = reader.cited
        assert cited is not None and cited.id == f"paragraph-{hit.citation.paragraph}"
        assert cited.has_class("-cited") and hit.citation.paragraph > 2
        body = reader.query_one("#reader-body")
        top = body.scroll_offset.y
        assert top > 0, "a paragraph this far down needs scrolling at 80x24"
        assert top <= cited.virtual_region.y < top + body.size.height
        await pilot.press("escape")
        assert app.screen is chat(pilot)


async def test_clicking_a_card_opens_the_reader(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        view = await ask(pilot, "How much did the bridge repairs cost?")
        await pilot.click(view.cards[0])
        assert isinstance(app.screen, ReaderScreen)


async def test_up_and_down_walk_the_question_history(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "What did Peskov say?")
        await ask(pilot, "What happened to the apricot harvest?")
        box = chat(pilot).query_one(QuestionInput)
        await pilot.press(*"draft")
        await pilot.press("up")
        assert box.value == "What happened to the apricot harvest?"
        await pilot.press("up")
        assert box.value == "What did Peskov say?"
        await pilot.press("up")
        assert box.value == "What did Peskov say?"
        await pilot.press("down", "down")
        assert box.value == "draft"


async def test_follow_up_is_read_with_the_previous_question(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, "What did Peskov say?")
        view = await ask(pilot, "What did he say about the reserve?")
        answer = view.turn.answer
        assert answer is not None
        assert "Peskov" in answer.searched
        assert "Peskov" in answer.hits[0].text
        context = str(view.query_one(".context").render())
        assert context.startswith("read as: ") and "Peskov" in context


async def test_what_else_leaves_out_the_quote_cards_shown(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        first = await ask(pilot, "What did Peskov say?")
        assert len(first.quote_cards) == 2
        more = await ask(pilot, "What else did he say?")
        assert more.quote_cards == []
        line = str(more.query_one(".answer-line").render())
        assert "no more quotes by Dmitry Peskov than those shown before" in line


async def test_article_filter_restricts_answers_and_shows_in_status(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        box = chat(pilot).query_one(QuestionInput)
        box.value = "/article harbour"
        await pilot.press("enter")
        assert "article: harbour" in status_text(pilot)
        view = await ask(pilot, "What did they say?")
        answer = view.turn.answer
        assert answer is not None and answer.hits
        assert {hit.citation.article for hit in answer.hits} == {"harbour-bridge.txt"}
        box.value = "/clear"
        await pilot.press("enter")
        assert "article:" not in status_text(pilot)
        filters = chat(pilot).filters
        assert filters is None or filters.is_empty()


async def test_copy_citation_and_export_transcript(index_dir: Path, tmp_path: Path) -> None:
    app = make_app(index_dir, export_dir=tmp_path / "exports")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        view = await ask(pilot, "What did Peskov say?")
        await pilot.press("tab", "c")
        # Tab enters the first card: Peskov's first quote, before the passages.
        assert isinstance(app.focused, AnswerCard) and view.quote_cards
        hit = app.focused.hit
        assert app.clipboard.startswith(hit.citation.label())
        await pilot.press("escape")
        assert isinstance(app.focused, Input)
        await pilot.press("ctrl+e")
        exported = list((tmp_path / "exports").glob("chat-*.md"))
        assert len(exported) == 1
        text = exported[0].read_text(encoding="utf-8")
        assert "## 1. What did Peskov say?" in text and hit.citation.path in text


async def test_help_screen_lists_the_keys(index_dir: Path) -> None:
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("?")
        # In the question box "?" is just a character.
        assert chat(pilot).query_one(QuestionInput).value == "?"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for key in ("Ctrl+R", "Ctrl+E", "Ctrl+Q", "Escape", "Up / Down", "/article NAME"):
            assert key in text
        await pilot.press("escape")
        assert app.screen is chat(pilot)
