"""The reader: a cited article in full, scrolled to the cited paragraph and highlighted.

The paragraphs are fetched in a thread worker (the library may be reopening a newer
generation after a rebuild), so opening a long article never stalls the UI.
"""

from __future__ import annotations

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from qa import Hit, Library, QAError
from tui.app import QAApp
from tui.plain import plain, plain_spans
from tui.widgets.keys_footer import KeysFooter
from tui.widgets.turn import HIGHLIGHT, source_line

PASSAGE = "on $accent-muted"


class ReaderScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back to chat"),
        Binding("o", "open_source", "Open source"),
        Binding("c", "copy", "Copy citation"),
    ]

    app = getters.app(QAApp)
    """The running app, typed (and checked to be) the QAApp."""

    class Loaded(Message):
        def __init__(self, paragraphs: list[tuple[int, str, bool]]) -> None:
            super().__init__()
            self.paragraphs = paragraphs

    class LoadFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, library: Library, hit: Hit) -> None:
        super().__init__()
        self.library = library
        self.hit = hit
        self.cited: Static | None = None
        """The cited paragraph's widget, once loaded."""

    def compose(self) -> ComposeResult:
        c = self.hit.citation
        meta = " · ".join(part for part in (c.source, c.published, c.article) if part)
        yield Static(
            Content.assemble(
                plain(c.title, "bold"), "\n", plain(meta, "$text-muted"), "\n", source_line(c)
            ),
            id="reader-title",
        )
        with VerticalScroll(id="reader-body"):
            yield Static(Content.styled("loading...", "italic $text-muted"), id="reader-loading")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.load(self.hit.citation.article_id)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self, article_id: int) -> None:
        try:
            paragraphs = self.library.article_paragraphs(article_id)
        except QAError as error:
            self.post_message(self.LoadFailed(str(error)))
            return
        except Exception as error:  # noqa: BLE001 - shown as one line, never a traceback
            self.post_message(self.LoadFailed(f"{type(error).__name__}: {error}"))
            return
        self.post_message(self.Loaded(paragraphs))

    async def on_reader_screen_loaded(self, message: Loaded) -> None:
        body = self.query_one("#reader-body", VerticalScroll)
        await body.remove_children()
        cited_ordinal = self.hit.citation.paragraph
        widgets = []
        for ordinal, text, boilerplate in message.paragraphs:
            content = Content.assemble((f"{ordinal:>3}  ", "$text-muted"), plain_spans(text))
            classes = "paragraph"
            if boilerplate:
                classes += " -boilerplate"
            if ordinal == cited_ordinal:
                content = self._marked(ordinal, text)
                classes += " -cited"
            widget = Static(content, classes=classes, id=f"paragraph-{ordinal}")
            if ordinal == cited_ordinal:
                self.cited = widget
            widgets.append(widget)
        if not widgets:
            widgets.append(Static("This article has no paragraphs in the index any more."))
        await body.mount_all(widgets)
        count = len(message.paragraphs)
        self.sub_title = f"paragraph {cited_ordinal} of {count}"
        if self.cited is not None:
            # After layout, or the paragraph's offset is not known yet.
            self.call_after_refresh(self._scroll_to_cited, again=True)

    def _scroll_to_cited(self, again: bool = False) -> None:
        if self.cited is not None:
            self.query_one("#reader-body", VerticalScroll).scroll_to_widget(
                self.cited, animate=False, top=True
            )
        if again:
            # The first layout can still change (the scroll bar appears and the text
            # rewraps), leaving the paragraph a line off the top: scroll once more after it.
            self.call_after_refresh(self._scroll_to_cited)

    def _marked(self, ordinal: int, text: str) -> Content:
        """The paragraph with the cited passage shaded and its answering sentence bold."""
        c = self.hit.citation
        start, end = max(0, c.start), min(len(text), c.end)
        spans = [] if (start, end) == (0, len(text)) else [(start, end, PASSAGE)]
        spans += [(start + h.start, start + h.end, HIGHLIGHT) for h in self.hit.highlights[:1]]
        # Spans are positions in the stored text: `plain_spans` moves them with its escapes.
        return Content.assemble((f"{ordinal:>3}  ", "bold $text-accent"), plain_spans(text, spans))

    def on_reader_screen_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#reader-loading", Static).update(
            Content.assemble(
                ("Cannot open the article: ", "bold $text-error"), plain(message.error)
            )
        )

    def action_back(self) -> None:
        # To the question box, not the card that opened the reader: what is typed next
        # is a question (help and the palette, modal, leave focus where it was).
        self.app.pop_screen()
        self.app.chat.query_one("#question").focus()

    def action_copy(self) -> None:
        self.app.copy_citation(self.hit)

    def action_open_source(self) -> None:
        """The web page, else the file in $EDITOR at the line; else say where it is."""
        from tui.opening import open_cited_source

        open_cited_source(self, self.hit)
