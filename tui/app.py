"""The chat app: owns the library, loads it in the background, rebuilds it on request.

First paint never waits for the model, nor even for the modules that search: importing
this module loads textual and light modules only (tests/test_import_hygiene.py checks),
and `qa.library` (numpy, FAISS, the build pipeline), opening the library, the first-use
build, opening the index and loading the model all happen in a thread worker started
after the first frame, which posts `LibraryOpened` and `LibraryChanged` messages.
Workers never touch widgets; the app turns their messages into new state values, which
the screens watch.

Threads. The UI thread draws and handles keys; it never waits on the library (it only
reads `Library.index_dir` and asks `Library.exists()`, a stat). Every call that reads
the index (open, warm, info, ask, an article's paragraphs) is made from a Textual thread
worker (`prepare`, the chat's `answer_in_thread`, the reader's `load`), directly on the
shared `Library`: its lock serialises them, and with them every use of the index
snapshot's SQLite connections (opened with `check_same_thread=False` for this reason)
and the reopening of a newer generation after a rebuild. A build (first use in
`prepare`, Ctrl+R in `rebuild`) runs on its worker with connections of its own; it
shares only the embedder with the questions, which serialises its own model calls.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import var

from index.locations import default_index_dir, home_dir
from qa import BuildInterrupted, QAError, Skipped
from qa.terminal import visible
from tui.messages import LibraryChanged, LibraryOpened, Note, RebuildFinished, RebuildProgress
from tui.state import FAILED, INDEXING, LOADING, OPENING, READY, BuildState, LibraryState
from tui.transcript import export_markdown, full_citation
from tui.widgets.question_input import QuestionInput

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.screen import Screen

    from qa import BuildProgress, Hit, Library


class QAApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "article-qa"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        # Priority: the question box would take Ctrl+E (end of line) and Ctrl+R for itself.
        Binding("ctrl+r", "rebuild", "Rebuild", priority=True),
        Binding("ctrl+e", "export", "Export", priority=True),
    ]

    library_state: var[LibraryState] = var(LibraryState, init=False)
    build_state: var[BuildState | None] = var(None, init=False)

    def __init__(
        self,
        library: Library | None = None,
        *,
        index_dir: Path | None = None,
        model: str | None = None,
        backend: str = "auto",
        show_timings: bool = True,
        show_scores: bool = True,
        export_dir: Path | None = None,
    ) -> None:
        """Either a ready-made `library` (tests share one model) or how to open one.

        `show_timings`/`show_scores` off make the screen reproducible (snapshot tests):
        timings vary, and a score bar can flip a cell between runs near a rounding edge.
        """
        super().__init__()
        self.library: Library | None = library
        self._open_args = (index_dir, model, backend)
        self.show_timings = show_timings
        self.export_dir = export_dir
        self._cancel_build: threading.Event | None = None
        # Here, not at the top: the screens import this module for their typed `app`.
        from tui.screens.chat import ChatScreen

        self.chat = ChatScreen(
            default_dir=_default_dir(), show_timings=show_timings, show_scores=show_scores
        )

    def on_mount(self) -> None:
        self.push_screen(self.chat)
        if self.library is not None:
            index_dir: Path | None = self.library.index_dir
        else:
            # Where `Library.open` will look, so the status line names it from the start.
            index_dir = self._open_args[0] or _default_dir()
        self.library_state = LibraryState(index_dir)
        # Only once the first frame is on screen: the worker's imports (numpy, faiss,
        # torch) hold the GIL for a while and would otherwise delay the first paint.
        self.call_after_refresh(self.prepare)

    def _note(self, text: str) -> None:
        # Called by the core, possibly from a worker thread: post, never draw.
        self.post_message(Note(text))

    def on_note(self, message: Note) -> None:
        self.notify(message.text)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain, escaped text, whoever sends it.

        Notifications quote errors, paths and citations: as markup, a file named
        `[/x].txt` raised MarkupError and `[@click=app.quit]` made a live link.
        Screens' and widgets' `notify` come here too.
        """
        super().notify(
            visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False
        )

    # -- loading ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def prepare(self) -> None:
        """Open the library, first-use build, the index (counts for the status line), the model."""
        try:
            from qa import BuildProgress, Library, ensure_default_library

            library = self.library
            if library is None:
                index_dir, model, backend = self._open_args
                library = Library.open(index_dir, model=model, backend=backend, notify=self._note)
                self.post_message(LibraryOpened(library))
            for event in ensure_default_library(library, notify=self._note):
                if isinstance(event, BuildProgress):
                    self.post_message(LibraryChanged(INDEXING, detail=_percent(event)))
            from qa.first_use import is_sample_library, wait_for_first_build

            # `qa chat --index X` while X's first build runs: wait for it, as `qa ask` does.
            wait_for_first_build(library.index_dir, self._note)
            info = library.info()
            sample = is_sample_library(info)
            self.post_message(LibraryChanged(LOADING, info=info, sample=sample))
            library.warm()
            self.post_message(LibraryChanged(READY, info=info, sample=sample))
        except QAError as error:
            self.post_message(LibraryChanged(FAILED, error=str(error)))
        except Exception as error:  # noqa: BLE001 - one line in the status bar, no traceback
            self.post_message(LibraryChanged(FAILED, error=f"{type(error).__name__}: {error}"))

    def on_library_opened(self, message: LibraryOpened) -> None:
        self.library = message.library
        self.library_state = self.library_state.to(
            self.library_state.phase, index_dir=message.library.index_dir
        )

    def on_library_changed(self, message: LibraryChanged) -> None:
        old = self.library_state
        if message.phase == INDEXING:
            self.library_state = old.to(INDEXING, detail=message.detail)
            return
        self.library_state = old.to(
            message.phase,
            info=message.info or old.info,
            error=message.error,
            sample=message.sample if message.info else old.sample,
        )
        if message.phase == FAILED and message.error:
            self.notify(message.error, title="The library cannot answer", severity="error")

    # -- rebuild ----------------------------------------------------------------------

    def action_rebuild(self) -> None:
        from tui.screens.rebuild import RebuildScreen

        state = self.build_state
        if self.library is None:
            opening = self.library_state.phase == OPENING
            why = "the library is still opening; try again in a moment" if opening else None
            self.notify(why or "no library is open", severity="warning" if opening else "error")
            return
        if self.library_state.phase == INDEXING:
            self.notify("the library is being indexed for the first time; try again then")
            return
        if (state is None or not state.running) and not self.library.exists():
            # A build here would create an index in a folder that may be a typo, over no
            # articles (an index lists its folders only once built): say how to make one.
            where = self.library.index_dir
            self.notify(
                f"no index at {where}: it does not exist; build one with "
                f"`qa index build PATH --index {where}`",
                title="Nothing to rebuild",
                severity="error",
            )
            return
        if state is None or not state.running:
            self._cancel_build = threading.Event()
            self.build_state = BuildState()
            self.rebuild(self.library, self._cancel_build)
        if not isinstance(self.screen, RebuildScreen):
            self.push_screen(RebuildScreen())

    def action_cancel_rebuild(self) -> None:
        state = self.build_state
        if self._cancel_build is not None and state is not None and state.running:
            self._cancel_build.set()
            self.build_state = BuildState(
                progress=state.progress, skipped=state.skipped, cancelling=True
            )

    @work(thread=True, exclusive=True, group="rebuild", exit_on_error=False)
    def rebuild(self, library: Library, cancel: threading.Event) -> None:
        """An incremental build of the library's folders; the old index answers meanwhile."""
        try:
            from qa import BuildReport
            from qa.first_use import is_sample_library

            report = None
            for event in library.build(cancel=cancel):
                if isinstance(event, BuildReport):
                    report = event
                else:
                    self.post_message(RebuildProgress(event))
            info = library.info()
            sample = is_sample_library(info)
            self.post_message(RebuildFinished(report=report, info=info, sample=sample))
        except BuildInterrupted:
            self.post_message(RebuildFinished(cancelled=True))
        except QAError as error:
            self.post_message(RebuildFinished(error=str(error)))
        except Exception as error:  # noqa: BLE001 - one line on the screen, no traceback
            self.post_message(RebuildFinished(error=f"{type(error).__name__}: {error}"))

    def on_rebuild_progress(self, message: RebuildProgress) -> None:
        state = self.build_state or BuildState()
        if not state.running:
            return
        event = message.event
        if isinstance(event, Skipped):
            self.build_state = _replace_build(state, skipped=(*state.skipped, event))
        else:
            self.build_state = _replace_build(state, progress=event)

    def on_rebuild_finished(self, message: RebuildFinished) -> None:
        state = self.build_state or BuildState()
        self.build_state = BuildState(
            running=False,
            progress=state.progress,
            skipped=state.skipped,
            report=message.report,
            error=message.error,
            cancelled=message.cancelled,
        )
        self._cancel_build = None
        if message.info is not None:
            # The new generation answers from the next question on.
            self.library_state = self.library_state.to(
                READY, info=message.info, error=None, sample=message.sample
            )
        summary = self.build_state.summary()
        self.notify(summary, severity="error" if message.error else "information")

    # -- keys and the command palette -------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """A printable key nothing is bound to, pressed outside the question box on the
        chat (on a card, say), is the start of a question: it goes into the box.

        Here, after the bindings of what has focus had their turn (a card's `c`, the
        app's `?`), which the screen's own key handler would come before.
        """
        chat = self.chat
        if self.screen is not chat or not event.is_printable or event.character is None:
            return
        box = chat.query_one(QuestionInput)
        if chat.focused is box:
            return
        bound = self.screen.active_bindings
        if any(key in bound for key in (event.key, *event.aliases)):
            return
        event.stop()
        box.focus()
        box.insert_text_at_cursor(event.character)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Ctrl+P's palette: the app's own actions first, then Textual's (theme, quit...)."""
        from tui.commands import palette_commands

        yield from palette_commands(self)
        yield from super().get_system_commands(screen)

    # -- everything else --------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_export(self) -> None:
        turns = [turn for turn in self.chat.turns if not turn.abandoned]
        if not turns:
            self.notify("nothing to export yet: ask a question first", severity="warning")
            return
        folder = self.export_dir or home_dir() / "exports"
        library = str(self.library.index_dir) if self.library else "?"
        try:
            path = export_markdown(turns, folder, library=library)
        except OSError as error:
            self.notify(f"cannot export to {folder}: {error.strerror}", severity="error")
            return
        self.notify(f"transcript exported to {path}", title="Exported")

    def copy_citation(self, hit: Hit) -> None:
        text = full_citation(hit.citation)
        self.copy_to_clipboard(text)
        self.notify(text, title="Citation copied")

    def on_unmount(self) -> None:
        if self._cancel_build is not None:
            self._cancel_build.set()
        if self.library is not None:
            # On a thread of its own: `close` waits for the library's lock, which a
            # question's search may hold; quitting waits 5 s for it at most.
            closing = threading.Thread(
                target=_close_quietly, args=(self.library,), name="qa-close", daemon=True
            )
            closing.start()
            closing.join(timeout=5)


def _close_quietly(library: Library) -> None:
    try:
        library.close()
    except Exception:  # noqa: BLE001 - quitting: nothing useful to do with it
        pass


def _percent(event: BuildProgress) -> str:
    if event.stage == "embedding" and event.passages_total:
        return f"{event.passages_done / event.passages_total:.0%}"
    return event.stage


def _replace_build(state: BuildState, **changes: object) -> BuildState:
    from dataclasses import replace

    return replace(state, **changes)  # type: ignore[arg-type]  # changes are BuildState fields, typed object


def _default_dir() -> Path | None:
    try:
        return default_index_dir()
    except OSError:
        return None


def run_chat(index_dir: Path | None = None, model: str | None = None, backend: str = "auto") -> int:
    QAApp(index_dir=index_dir, model=model, backend=backend).run()
    return 0
