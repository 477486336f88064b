"""The chat screen: the transcript, the question box and the status line.

A turn locks the question box until its answer or its error arrives (and Escape gives
up waiting); answers arrive as messages from a thread worker and any that no longer
belong to the current turn are dropped. A question asked while the model is still
loading waits in the transcript and goes ahead as soon as the library is ready.

Once the library is ready, a worker watches its folders (`index.build.watch`): a change
is indexed within seconds and announced ("library updated: 1 article added"), and the
next question is answered from the new generation.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen

from qa import QAError
from qa.conversation import Conversation
from tui.app import QAApp
from tui.messages import AnswerFailed, AnswerReady
from tui.state import READY, BuildState, LibraryState
from tui.transcript import Turn, describe_filters
from tui.widgets.keys_footer import KeysFooter
from tui.widgets.question_input import QuestionInput
from tui.widgets.status_line import StatusLine
from tui.widgets.turn import AnswerCard, TurnView
from tui.widgets.welcome import Welcome

if TYPE_CHECKING:
    from pathlib import Path

    from qa import Filters, IndexInfo, Library

PASSAGES_PER_ANSWER = 5
PLACEHOLDER = "Ask a question (Enter) · /article NAME to filter · F1 for help"


class ChatScreen(Screen[None]):
    BINDINGS = [
        Binding("tab", "into_cards", "Cards", show=False),
        Binding("escape", "stop_waiting", "Stop waiting", show=False),
    ]

    app = getters.app(QAApp)
    """The running app, typed (and checked to be) the QAApp."""

    def __init__(
        self,
        *,
        default_dir: Path | None = None,
        show_timings: bool = True,
        show_scores: bool = True,
        watch_library: bool = True,
    ) -> None:
        super().__init__()
        self.turns: list[Turn] = []
        self.views: dict[int, TurnView] = {}
        self.current: int | None = None
        """Number of the turn waiting for its answer, if any."""
        self.filters: Filters | None = None
        """None until a /command sets some: `Filters` comes with numpy, after first paint."""
        self.conversation = Conversation()
        """Answered turns, for reading follow-ups ("what did he say...") in context."""
        self.show_timings = show_timings
        self.show_scores = show_scores
        self._started: set[int] = set()
        self._default_dir = default_dir
        self.watch_library = watch_library
        """Re-index the library's folders as they change, while the chat is open."""
        self._stop_watching: threading.Event | None = None
        self.watching = False
        """True once changes to the library's folders are seen (a worker watches them)."""

    def compose(self) -> ComposeResult:
        yield StatusLine(self._default_dir, id="status")
        with VerticalScroll(id="transcript", can_focus=False):
            yield Welcome(id="welcome")
        yield QuestionInput(placeholder=PLACEHOLDER, id="question")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "library_state", self._library_changed, init=True)
        self.watch(self.app, "build_state", self._build_changed, init=True)
        self.query_one(QuestionInput).focus()

    @property
    def library(self) -> Library | None:
        return self.app.library

    # -- the app's state, shown -------------------------------------------------------

    def _library_changed(self, state: LibraryState) -> None:
        self.query_one(StatusLine).show(library=state)
        self.query_one(Welcome).show(state)
        if state.phase == READY and self.watch_library and self._stop_watching is None:
            self._start_watching()
        if state.settled and self.current is not None and self.current not in self._started:
            self._start_answer(self.turns[self.current - 1])

    def _build_changed(self, state: BuildState | None) -> None:
        if state is not None:
            self.query_one(StatusLine).show(build=state)

    # -- watching the library's folders -------------------------------------------------

    class LibraryUpdated(Message):
        """A build the watch started has committed changes (`summary`), or failed."""

        def __init__(self, summary: str, info: IndexInfo | None = None) -> None:
            super().__init__()
            self.summary = summary
            self.info = info

    class WatchStarted(Message):
        """The library's folders are watched from now on."""

    def _start_watching(self) -> None:
        library = self.library
        if library is not None:
            self._stop_watching = threading.Event()
            self.watch_in_thread(library, self._stop_watching)

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_in_thread(self, library: Library, stop: threading.Event) -> None:
        """Re-index changes as they come (`index.build.watch`); each committed build with
        changes becomes one "library updated" notice."""
        from qa import BuildReport
        from qa.watch import Watching, library_changes, updated_summary

        try:
            for event in library_changes(library, stop):
                if isinstance(event, Watching):
                    self.post_message(self.WatchStarted())
                elif isinstance(event, BuildReport):
                    summary = updated_summary(event.added, event.updated, event.removed)
                    if summary is not None:
                        self.post_message(self.LibraryUpdated(summary, library.info()))
        except QAError as error:
            self.post_message(self.LibraryUpdated(f"not watching the library: {error}"))
        except Exception as error:  # noqa: BLE001 - one notice, no traceback
            message = f"not watching the library: {type(error).__name__}: {error}"
            self.post_message(self.LibraryUpdated(message))

    def on_chat_screen_watch_started(self, message: WatchStarted) -> None:
        self.watching = True

    def on_chat_screen_library_updated(self, message: LibraryUpdated) -> None:
        if message.info is None:
            self.notify(message.summary, severity="warning")
            return
        self.app.library_state = self.app.library_state.to(READY, info=message.info)
        self.notify(message.summary, title="Library updated")

    def on_unmount(self) -> None:
        if self._stop_watching is not None:
            self._stop_watching.set()

    # -- asking -----------------------------------------------------------------------

    def on_input_submitted(self, event: QuestionInput.Submitted) -> None:
        event.stop()
        box = self.query_one(QuestionInput)
        text = event.value.strip()
        if not text:
            return
        if box.locked:
            self.notify("still answering the last question; Escape stops waiting")
            return
        box.remember(text)
        box.value = ""
        if text.startswith("/"):
            self.run_command(text)
        else:
            self.ask(text)

    def ask(self, question: str) -> None:
        rewritten = self.conversation.rewrite(question)
        searched = rewritten if rewritten != question else None
        turn = Turn(len(self.turns) + 1, question, searched=searched, filters=self.filters)
        self.turns.append(turn)
        view = TurnView(turn, show_timings=self.show_timings, show_scores=self.show_scores)
        self.views[turn.number] = view
        transcript = self.query_one("#transcript", VerticalScroll)
        transcript.mount(view)
        self.current = turn.number
        self._lock()
        state: LibraryState = self.app.library_state
        if state.settled:
            self._start_answer(turn)
        else:
            view.waiting("waiting for the model to load...")
        transcript.scroll_end(animate=False)

    def _start_answer(self, turn: Turn) -> None:
        self._started.add(turn.number)
        self.views[turn.number].waiting("searching...")
        library = self.library
        if library is None:
            self.post_message(AnswerFailed(turn.number, "no library is open"))
            return
        self.answer_in_thread(library, turn)

    @work(thread=True, exclusive=True, group="ask", exit_on_error=False)
    def answer_in_thread(self, library: Library, turn: Turn) -> None:
        filters = None if turn.filters is None or turn.filters.is_empty() else turn.filters
        skip = self.conversation.quotes_to_skip(turn.question)
        try:
            answer = library.ask(
                turn.question,
                k=PASSAGES_PER_ANSWER,
                filters=filters,
                searched=turn.searched,
                option_prefix="/",  # an empty answer's notice names /since, not --since
                skip_quotes=skip,
            )
            answer = self.conversation.explained(answer, skip)
        except QAError as error:
            self.post_message(AnswerFailed(turn.number, str(error)))
        except Exception as error:  # noqa: BLE001 - one line in the transcript, no traceback
            self.post_message(AnswerFailed(turn.number, f"{type(error).__name__}: {error}"))
        else:
            self.post_message(AnswerReady(turn.number, answer))

    async def on_answer_ready(self, message: AnswerReady) -> None:
        if not self._is_current(message.turn):
            return
        turn = self.turns[message.turn - 1].answered(message.answer)
        self.turns[message.turn - 1] = turn
        self.conversation.record(message.answer)
        # Scrolling to the turn before its cards are mounted would scroll to where the
        # turn ends without them (seen on a loaded machine): wait for the mount first.
        await self.views[turn.number].answered(message.answer)
        self._finish(turn.number)

    def on_answer_failed(self, message: AnswerFailed) -> None:
        if not self._is_current(message.turn):
            return
        self.turns[message.turn - 1] = self.turns[message.turn - 1].failed(message.error)
        self.views[message.turn].failed(message.error)
        self.notify(message.error, title="Could not answer", severity="error")
        self._finish(message.turn)

    def _is_current(self, number: int) -> bool:
        """A result for an abandoned or superseded turn is stale: drop it."""
        return number == self.current and not self.turns[number - 1].abandoned

    def _finish(self, number: int) -> None:
        self.current = None
        self._unlock()
        # The newest turn from its question down: the answer line and best card first.
        view = self.views[number]
        self.call_after_refresh(
            self.query_one("#transcript", VerticalScroll).scroll_to_widget,
            view,
            animate=False,
            top=True,
        )

    def action_stop_waiting(self) -> None:
        if self.current is None:
            return
        turn = self.turns[self.current - 1]
        self.turns[turn.number - 1] = Turn(
            turn.number, turn.question, turn.searched, turn.filters, abandoned=True
        )
        self.views[turn.number].abandoned()
        self.current = None
        self._unlock()

    def _lock(self) -> None:
        self.query_one(QuestionInput).lock_for_answer("answering... (Escape stops waiting)")

    def _unlock(self) -> None:
        box = self.query_one(QuestionInput)
        box.unlock_after_answer(PLACEHOLDER)
        if self.app.screen is self and not isinstance(self.focused, AnswerCard):
            box.focus()

    # -- commands ---------------------------------------------------------------------

    def run_command(self, text: str) -> None:
        from qa import Filters

        name, _, argument = text[1:].partition(" ")
        argument = argument.strip()
        name = name.lower()
        if name == "help":
            self.app.action_help()
            return
        if name == "clear":
            self._set_filters(Filters())
            return
        if name in ("article", "source", "since", "until"):
            if not argument:
                self.notify(
                    f"/{name} needs a value, e.g. /{name} {_EXAMPLES[name]}", severity="error"
                )
                return
            current = self.filters or Filters()
            fields = {
                "article": current.article,
                "source": current.source,
                "since": current.since,
                "until": current.until,
            }
            fields[name] = argument
            try:
                filters = _checked_filters(fields)
            except QAError as error:
                # Shown, not set: a filter that is not a date would silently match nothing.
                self.notify(str(error), title="Filter not set", severity="error")
                return
            self._set_filters(filters)
            return
        self.notify(
            f"unknown command /{name}; try /article, /source, /since, /until, /clear or /help",
            severity="error",
        )

    def _set_filters(self, filters: Filters) -> None:
        self.filters = filters
        self.query_one(StatusLine).show(filters=filters)
        described = describe_filters(filters)
        self.notify(f"filter {described}" if described else "filters cleared")

    # -- cards ------------------------------------------------------------------------

    def action_into_cards(self) -> None:
        box = self.query_one(QuestionInput)
        if self.focused is box or self.focused is None:
            for turn in reversed(self.turns):
                cards = self.views[turn.number].all_cards
                if cards:
                    cards[0].focus()
                    return
        self.focus_next()

    def on_answer_card_opened(self, message: AnswerCard.Opened) -> None:
        library = self.library
        if library is not None:
            from tui.screens.reader import ReaderScreen

            self.app.push_screen(ReaderScreen(library, message.hit))

    def action_open_source(self) -> None:
        """Open the focused card's source: its web page, else its file in $EDITOR at the
        line, else the reader at the paragraph (`tui.opening`)."""
        card = self.focused
        if not isinstance(card, AnswerCard):
            self.notify("move to a card first (Tab), then open its source (o)")
            return
        from tui.opening import open_cited_source

        hit = card.hit
        open_cited_source(self, hit, in_reader=lambda: self.post_message(AnswerCard.Opened(hit)))

    def on_answer_card_copy_requested(self, message: AnswerCard.CopyRequested) -> None:
        self.app.copy_citation(message.hit)

    def on_answer_card_left(self, message: AnswerCard.Left) -> None:
        self.query_one(QuestionInput).focus()

    def on_screen_resume(self) -> None:
        box = self.query_one(QuestionInput)
        if self.focused is None:
            box.focus()


def _checked_filters(fields: dict[str, str | None]) -> Filters:
    """`Filters` of the chat's /commands; a bad date is a QAError naming /since or /until."""
    from qa import Filters
    from qa.dates import check_range, normalise_date

    for name in ("since", "until"):
        value = fields[name]
        if value is not None:
            fields[name] = normalise_date(value, f"/{name}")
    check_range(fields["since"], fields["until"], "/since", "/until")
    return Filters(**fields)


_EXAMPLES = {"article": "belarus", "source": "moscow", "since": "2020-01-01", "until": "2020-12-31"}
