"""The chat and its sources: every card says where its source is, `o` opens it ($EDITOR at
the line through a recording script; the reader when nothing can), and while the chat is
open a new article in the library's folder is indexed and announced within seconds."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from library_fixtures import build, make_library
from tui_support import ask, chat, make_app, wait_ready, wait_until

from tui.screens.reader import ReaderScreen
from tui.widgets.status_line import StatusLine
from tui.widgets.turn import AnswerCard

RECORDER = '#!/bin/sh\nprintf "%s\\n" "$@" > "$0.args"\n'
QUESTION = "What did mayor Duarte say about the bridge?"


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, Path]:
    folder = make_library(tmp_path / "articles")
    build(tmp_path / "index", folder)
    return folder, tmp_path / "index"


def notices(app) -> list[str]:  # noqa: ANN001
    return [str(notification.message) for notification in app._notifications]  # noqa: SLF001


async def test_o_on_a_card_opens_its_file_in_the_editor_at_the_cited_line(
    library: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, index_dir = library
    editor = tmp_path / "editor"
    editor.write_text(RECORDER, encoding="utf-8")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", f"{editor} --wait")
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        view = await ask(pilot, QUESTION)
        card = view.cards[0]
        citation = card.hit.citation
        assert citation.article == "harbour-bridge.txt" and citation.line == 7
        assert f"at {folder / 'harbour-bridge.txt'}:7" in str(card.render())
        await pilot.press("tab")
        assert app.focused is card
        await pilot.press("o")
        await wait_until(pilot, lambda: Path(f"{editor}.args").exists(), what="the editor")
        args = Path(f"{editor}.args").read_text(encoding="utf-8").splitlines()
        assert args == ["--wait", "+7", str(folder / "harbour-bridge.txt")]
        assert app.screen is chat(pilot)


async def test_o_without_an_editor_or_url_opens_the_reader_and_says_where(
    library: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, index_dir = library
    monkeypatch.delenv("EDITOR", raising=False)
    app = make_app(index_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        await ask(pilot, QUESTION)
        chat(pilot).action_open_source()  # no card focused: says how
        await wait_until(
            pilot,
            lambda: any("move to a card first" in text for text in notices(app)),
            what="how to open a source",
        )
        await pilot.press("tab", "o")
        await wait_until(pilot, lambda: isinstance(app.screen, ReaderScreen), what="reader")
        where = f"the source is at {folder / 'harbour-bridge.txt'}:7"
        await wait_until(pilot, lambda: any(where in text for text in notices(app)), what=where)
        title = str(app.screen.query_one("#reader-title").render())
        assert f"at {folder / 'harbour-bridge.txt'}:7" in title


async def test_a_new_article_is_indexed_and_announced_while_the_chat_is_open(
    library: tuple[Path, Path],
) -> None:
    folder, index_dir = library
    app = make_app(index_dir, watch=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_ready(pilot)
        screen = chat(pilot)
        await wait_until(pilot, lambda: screen.watching, what="the folder watched")
        (folder / "zeppelin.txt").write_text(
            "Title: Zeppelin over the lake\n\nThe zeppelin crossed the lake at dawn.\n",
            encoding="utf-8",
        )
        await wait_until(
            pilot,
            lambda: "library updated: 1 article added" in notices(app),
            timeout=60,
            what="the update notice",
        )
        status = str(screen.query_one(StatusLine).render())
        assert "4 articles" in status
        view = await ask(pilot, "What crossed the lake at dawn?")
        assert view.cards[0].hit.citation.article == "zeppelin.txt"
        assert isinstance(view.cards[0], AnswerCard)
