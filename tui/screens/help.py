"""The help screen: every key the app answers to, in one place (F1 or ?)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

# (where, key, what): written by hand next to the screen that shows it, so that keys are
# described in the user's words; update it with any BINDINGS change.
KEYS: tuple[tuple[str, str, str], ...] = (
    ("Chat", "Enter", "ask the question typed"),
    ("Chat", "Up / Down", "walk the question history"),
    ("Chat", "Tab", "move into the newest answer's cards"),
    ("Chat", "Escape", "stop waiting for the current answer"),
    ("Cards", "Up / Down", "previous / next card"),
    ("Cards", "Enter / click", "open the article in the reader, at that paragraph"),
    ("Cards", "o", "open the source: web page, else the file in $EDITOR at the line"),
    ("Cards", "c", "copy the card's citation"),
    ("Cards", "Escape", "back to the question box"),
    ("Cards", "any other letter", "starts a question: it is typed into the question box"),
    ("Reader", "Up / Down / PgUp / PgDn", "scroll the article"),
    ("Reader", "o", "open the source (as on a card)"),
    ("Reader", "c", "copy the citation"),
    ("Reader", "Escape", "back to the chat, in the question box"),
    ("Rebuild", "Escape", "cancel the build (the previous index is kept)"),
    ("Rebuild", "h", "hide the build; it goes on, the status line shows it"),
    ("Anywhere", "Ctrl+R", "rebuild the index (incremental)"),
    ("Anywhere", "Ctrl+E", "export the transcript as Markdown, with full citations"),
    ("Anywhere", "Ctrl+P", "command palette: Rebuild, Export, Open, Help, theme..."),
    ("Anywhere", "F1 / ? (outside the question box)", "this help (in the box ? is typed)"),
    ("Anywhere", "Ctrl+Q", "quit"),
)

COMMANDS: tuple[tuple[str, str], ...] = (
    ("/article NAME", "only search articles whose file or title contains NAME"),
    ("/source NAME", "only search articles whose source contains NAME"),
    ("/since DATE", "only articles published on or after DATE (YYYY-MM-DD)"),
    ("/until DATE", "only articles published on or before DATE"),
    ("/clear", "remove all filters"),
    ("/help", "this help"),
)


def help_text() -> Content:
    lines: list[Content] = [Content.styled("Keys", "bold $text-primary")]
    where = ""
    for place, key, what in KEYS:
        if place != where:
            lines.append(Content.styled(f"  {place}", "bold"))
            where = place
        lines.append(Content.assemble(("    " + key.ljust(26), "$text-accent"), what))
    lines += [
        Content(""),
        Content.styled("Commands (typed in the question box)", "bold $text-primary"),
    ]
    for command, what in COMMANDS:
        lines.append(Content.assemble(("    " + command.ljust(26), "$text-accent"), what))
    lines += [
        Content(""),
        Content.styled(
            "A follow-up (“what did he say about…”) is read with the question that started "
            "the thread.",
            "$text-muted",
        ),
    ]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("f1", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog") as dialog:
            dialog.border_title = "Help"
            dialog.border_subtitle = "Escape to close"
            yield Static(help_text(), id="help-text")
