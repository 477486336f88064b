"""Follow-up questions: the rewrite rules, the library round trip, and `qa ask --session`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from library_fixtures import build, embedder, make_library

from index.errors import UsageError
from qa.cli import main
from qa.conversation import Conversation, Turn, names
from qa.library import Library
from qa.render import render_answer


def after(question: str) -> Conversation:
    return Conversation([Turn(question, question)])


def test_a_first_question_is_searched_as_asked() -> None:
    assert Conversation().rewrite("What did he say?") == "What did he say?"


def test_a_pronoun_takes_the_previous_subject() -> None:
    conversation = after("What did Peskov say?")
    assert conversation.rewrite("What did he say about the reserve?") == (
        "What did Peskov say about the reserve?"
    )
    assert conversation.rewrite("What is his job?") == "What is Peskov's job?"


def test_a_bare_name_re_asks_the_previous_question() -> None:
    assert after("What did Peskov say?").rewrite("And Macron?") == "What did Macron say?"


def test_a_short_question_is_searched_with_the_previous_one() -> None:
    assert after("When will Putin and Lukashenko meet?").rewrite("Where?") == (
        "When will Putin and Lukashenko meet? Where?"
    )


def test_a_question_naming_its_own_subject_stands_alone() -> None:
    question = "How long has Lukashenko ruled Belarus?"
    assert after("What did Peskov say?").rewrite(question) == question


def test_the_subject_survives_a_chain_of_follow_ups() -> None:
    conversation = Conversation(
        [
            Turn("What did Peskov say?", "What did Peskov say?"),
            Turn("What did he say about the reserve?", "What did Peskov say about the reserve?"),
        ]
    )
    assert conversation.rewrite("Where did he say it?").startswith("Where did Peskov say")


def test_names_skip_question_words() -> None:
    assert names("Under what condition would Putin send it to Belarus?") == ["Putin", "Belarus"]


def test_session_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s" / "session.json"
    assert Conversation.load(path).turns == []
    conversation = after("What did Peskov say?")
    conversation.save(path)
    assert Conversation.load(path).turns == conversation.turns


@pytest.mark.parametrize(
    "quoted",
    ['"a.txt"', "[[1, 2]]", '[["a.txt", "one", 2]]', "[null]", '{"a": 1}'],
)
def test_a_session_file_with_odd_shown_quotes_is_refused(tmp_path: Path, quoted: str) -> None:
    path = tmp_path / "session.json"
    path.write_text(
        '{"turns": [{"question": "q", "searched": "q", "quoted": ' + quoted + "}]}",
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match="not a conversation file"):
        Conversation.load(path)


def test_a_session_file_from_before_shown_quotes_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    path.write_text('{"turns": [{"question": "q", "searched": "q"}]}', encoding="utf-8")
    (turn,) = Conversation.load(path).turns
    assert turn.speaker is None and turn.quoted == ()


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_library(tmp_path_factory.mktemp("articles"))
    index = tmp_path_factory.mktemp("index")
    build(index, root)
    return index


def test_follow_up_finds_the_reserve_quote(seed_index: Path) -> None:
    library = Library(seed_index, embedder())
    conversation = Conversation()
    conversation.ask(library, "What did Peskov say?", k=3)
    answer = conversation.ask(library, "What did he say about the reserve?", k=3)
    assert "Peskov" in answer.searched
    assert answer.hits[0].citation.paragraph == 1
    assert len(conversation.turns) == 2


def test_what_else_shows_only_quotes_not_shown_before(seed_index: Path) -> None:
    library = Library(seed_index, embedder())
    conversation = Conversation()
    first = conversation.ask(library, "What did Peskov say?", k=3)
    assert [q.paragraph for q in first.quotes] == [1, 3]
    more = conversation.ask(library, "What else did he say?", k=3)
    assert more.searched == "What else did Dmitry Peskov say?"
    assert more.quotes == ()
    assert more.notice == "no more quotes by Dmitry Peskov than those shown before"
    assert "(no more quotes by Dmitry Peskov" in render_answer(more, color=False)
    # Asked again without "else", the quotes come back.
    again = conversation.ask(library, "What did Peskov say?", k=3)
    assert [q.paragraph for q in again.quotes] == [1, 3]


def test_a_role_named_speaker_is_followed_up_by_name(seed_index: Path, tmp_path: Path) -> None:
    library = Library(seed_index, embedder())
    conversation = Conversation()
    first = conversation.ask(library, "What did Putin's spokesman say?", k=3)
    assert {q.speaker for q in first.quotes} == {"Dmitry Peskov"}
    assert conversation.turns[-1].speaker == "Dmitry Peskov"
    assert conversation.rewrite("What did he say about the reserve?") == (
        "What did Dmitry Peskov say about the reserve?"
    )
    path = tmp_path / "session.json"
    conversation.save(path)
    assert Conversation.load(path).turns == conversation.turns
    assert Conversation.load(path).shown() == conversation.shown() != frozenset()


def test_qa_ask_session_keeps_the_thread(
    seed_index: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = tmp_path / "turns.json"

    # The command's own model load is tested in test_cli; share the session's embedder.
    monkeypatch.setattr(
        Library, "open", classmethod(lambda cls, index_dir=None, **_: cls(index_dir, embedder()))
    )

    def ask(question: str) -> dict:
        argv = ["ask", question, "--json", "-k", "3", "--index", str(seed_index)]
        assert main([*argv, "--session", str(session)]) == 0
        return json.loads(capsys.readouterr().out)

    ask("What did Peskov say?")
    answer = ask("What did he say about the reserve?")
    # The quotes' speaker, by the name the article gives in full.
    assert answer["searched"] == "What did Dmitry Peskov say about the reserve?"
    assert answer["hits"][0]["citation"]["paragraph"] == 1
    turns = json.loads(session.read_text())["turns"]
    assert [t["question"] for t in turns] == [
        "What did Peskov say?",
        "What did he say about the reserve?",
    ]
