"""The rebuild screen: a progress bar over the build the app runs in a worker.

The screen only shows `App.build_state`; the build itself belongs to the app, so hiding
the screen (h) leaves it running while the old index keeps answering questions.
"""

from __future__ import annotations

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, ProgressBar, Static

from tui.app import QAApp
from tui.plain import plain
from tui.state import BuildState


class RebuildScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "cancel_or_close", "Cancel build / close"),
        Binding("h", "hide", "Hide (build goes on)"),
    ]

    app = getters.app(QAApp)
    """The running app, typed (and checked to be) the QAApp."""

    def compose(self) -> ComposeResult:
        with Vertical(id="rebuild-dialog") as dialog:
            dialog.border_title = "Rebuild the index"
            yield Static("", id="rebuild-stage")
            yield ProgressBar(total=None, show_eta=False, id="rebuild-bar")
            yield Static("", id="rebuild-skipped")
            with Horizontal(id="rebuild-buttons"):
                yield Button("Cancel build", id="rebuild-cancel", variant="error")
                yield Button("Hide", id="rebuild-hide")

    def on_mount(self) -> None:
        self.watch(self.app, "build_state", self.show_state, init=True)

    def show_state(self, state: BuildState | None) -> None:
        if state is None:
            return
        # Content, not a str: a str is parsed as markup, and these quote file names.
        self.query_one("#rebuild-stage", Static).update(plain(state.summary()))
        bar = self.query_one("#rebuild-bar", ProgressBar)
        fraction = state.fraction()
        if not state.running:
            bar.update(total=100, progress=100 if state.report is not None else bar.progress)
        elif fraction is not None:
            bar.update(total=1000, progress=round(fraction * 1000))
        skipped = [plain(f"skipped {s.path}: {s.reason}") for s in state.skipped[-5:]]
        self.query_one("#rebuild-skipped", Static).update(Content("\n").join(skipped))
        cancel = self.query_one("#rebuild-cancel", Button)
        cancel.disabled = not state.running or state.cancelling
        cancel.display = state.running
        self.query_one("#rebuild-hide", Button).label = "Hide" if state.running else "Close"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "rebuild-cancel":
            self.app.action_cancel_rebuild()
        else:
            self.dismiss()

    def action_cancel_or_close(self) -> None:
        state = self.app.build_state
        if state is not None and state.running:
            self.app.action_cancel_rebuild()
        else:
            self.dismiss()

    def action_hide(self) -> None:
        self.dismiss()
