"""A turn of the chat: the question, the answer line, and the ranked passages as cards.

A who-said-what question's answer shows the speaker's quotes first, as quote cards
(speaker, date, source, the words, the cue). Cards are focusable so the keyboard can
walk them (Up/Down), open one (Enter: the reader at the cited paragraph), open its
source (o: the web page, else the file in $EDITOR at the line) or copy its citation (c);
a click opens it too. Every card shows where its source is (URL, or `path:line`).
Styles name theme variables only, so light and dark themes both read well.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.widget import AwaitMount, Widget
from textual.widgets import Static

from tui.plain import plain, plain_spans
from tui.transcript import Turn, describe_filters

if TYPE_CHECKING:
    from index.store.quotes import QuoteRecord
    from qa import Answer, Citation, Hit

BAR_CELLS = 8
HIGHLIGHT = "bold $text-warning on $warning-muted"


def score_bar(score: float, best: float) -> tuple[str, str]:
    """Filled and empty parts of a bar of the score relative to the answer's best hit.

    Fused scores mean nothing across answers, so the bar is relative, never absolute.
    """
    share = score / best if best > 0 else 0.0
    filled = max(1, min(BAR_CELLS, round(share * BAR_CELLS)))
    return "█" * filled, "░" * (BAR_CELLS - filled)


def highlighted_passage(hit: Hit) -> Content:
    return plain_spans(hit.text, [(h.start, h.end, HIGHLIGHT) for h in hit.highlights[:1]])


class AnswerCard(Widget, can_focus=True):
    """One ranked passage: rank, score bar, title, source, date, paragraph, passage."""

    BINDINGS = [
        Binding("enter", "open", "Open in reader"),
        # The chat screen's action (the command palette's "Open" calls it too).
        Binding("o", "screen.open_source", "Open source"),
        Binding("c", "copy", "Copy citation"),
        Binding("up", "step(-1)", "Previous card", show=False),
        Binding("down", "step(1)", "Next card", show=False),
        Binding("escape", "leave", "Back to question", show=False),
    ]

    class Opened(Message):
        """The user asked to read this card's article."""

        def __init__(self, hit: Hit) -> None:
            super().__init__()
            self.hit = hit

    class CopyRequested(Message):
        def __init__(self, hit: Hit) -> None:
            super().__init__()
            self.hit = hit

    class Left(Message):
        """Escape on a card: focus goes back to the question box."""

    def __init__(self, hit: Hit, best_score: float, *, show_score: bool = True) -> None:
        super().__init__(classes="-boilerplate" if hit.boilerplate else "")
        self.hit = hit
        self.best_score = best_score
        self.show_score = show_score

    def render(self) -> Content:
        hit = self.hit
        c = hit.citation
        filled, empty = score_bar(hit.score, self.best_score) if self.show_score else ("", "")
        meta = [part for part in (c.source, c.published) if part]
        meta += [c.place(), c.article]
        header = Content.assemble(
            (f" {hit.rank} ", "bold reverse $text-accent"),
            " ",
            (filled, "$text-success"),
            (empty, "$text-muted"),
            " " if self.show_score else "",
            plain(c.title, "bold"),
            ("  (appeal / boilerplate)" if hit.boilerplate else "", "italic $text-muted"),
        )
        lines = [header, plain(" · ".join(meta), "$text-muted"), source_line(c)]
        for other in hit.also_cited:
            lines.append(plain(f"also in: {other.label()}", "$text-muted"))
        lines.append(highlighted_passage(hit))
        return Content("\n").join(lines)

    def action_open(self) -> None:
        self.post_message(self.Opened(self.hit))

    def action_copy(self) -> None:
        self.post_message(self.CopyRequested(self.hit))

    def action_leave(self) -> None:
        self.post_message(self.Left())

    def action_step(self, step: int) -> None:
        cards = list(self.screen.query(AnswerCard))  # quote cards too, in screen order
        index = cards.index(self) + step
        if 0 <= index < len(cards):
            cards[index].focus()
        elif index >= len(cards):
            self.post_message(self.Left())

    def on_click(self, event: Click) -> None:
        event.stop()
        self.focus()
        self.post_message(self.Opened(self.hit))


class QuoteCard(AnswerCard):
    """One of the speaker's quotes: who, when, where, the words, the cue.

    An `AnswerCard` whose passage is the quote (cited at its words), so opening and
    copying behave as for a passage: the reader opens at the quote's paragraph with the
    words marked.
    """

    def __init__(self, quote: QuoteRecord) -> None:
        super().__init__(quote_hit(quote), 0.0, show_score=False)
        self.quote = quote
        self.add_class("-quote")

    def render(self) -> Content:
        quote = self.quote
        c = self.hit.citation
        meta = [part for part in (c.published, c.source, c.title) if part]
        meta += [c.place(), c.article]
        said = plain(f"“{quote.text}”") if quote.direct else plain(f"(reported) {quote.text}")
        lines = [
            Content.assemble(
                (" “ ", "bold reverse $text-accent"), " ", plain(quote.speaker or "someone", "bold")
            ),
            plain(" · ".join(meta), "$text-muted"),
            source_line(c),
            said,
        ]
        if quote.cue is not None:
            lines.append(plain(f"cue: {quote.cue.text}", "italic $text-muted"))
        return Content("\n").join(lines)


def source_line(citation: Citation) -> Content:
    """Where the source is: the web address, else `path:line` (what `o` opens), a path
    under the home folder written from `~` as a shell would take it."""
    where = citation.location()
    home = os.path.expanduser("~").rstrip("/")
    if citation.web_url() is None and home and where.startswith(home + "/"):
        where = "~" + where[len(home) :]
    return plain(f"at {where}", "italic $text-muted")


def quote_hit(quote: QuoteRecord) -> Hit:
    """The quote as a passage: its words, cited where they stand, all of them marked."""
    from qa import Highlight, Hit
    from qa.answer import citation_of

    citation = citation_of(quote)
    words = Highlight(0, citation.end - citation.start, 1.0)
    return Hit(rank=0, score=0.0, text=quote.text, citation=citation, highlights=(words,))


class TurnView(Vertical):
    """A question and, once it comes, its answer."""

    def __init__(self, turn: Turn, *, show_timings: bool = True, show_scores: bool = True) -> None:
        super().__init__(classes="turn")
        self.turn = turn
        self.show_timings = show_timings
        self.show_scores = show_scores
        self._build_children()

    def compose(self) -> ComposeResult:
        yield self._question_line
        yield self._context_line
        yield self._answer_line

    def _build_children(self) -> None:
        # Made up front so the answer line can be set before the turn is composed.
        self._question_line = Static(
            Content.assemble(("> ", "bold $text-primary"), plain(self.turn.question)),
            classes="question",
        )
        notes = []
        if self.turn.searched:
            notes.append(f"read as: {self.turn.searched}")
        described = describe_filters(self.turn.filters)
        if described:
            notes.append(f"filter {described}")
        # Content, not a str: a str is parsed as markup, and these quote the library.
        self._context_line = Static(plain(" · ".join(notes)), classes="context")
        self._context_line.display = bool(notes)
        self._answer_line = Static("", classes="answer-line")

    def waiting(self, text: str) -> None:
        self._line(Content.styled(text, "italic $text-muted"))

    def abandoned(self) -> None:
        self._line(Content.styled("stopped waiting for this answer", "italic $text-muted"))

    def failed(self, error: str) -> None:
        self.turn = self.turn.failed(error)
        self._line(Content.assemble(("Error: ", "bold $text-error"), plain(error)))
        self.add_class("-error")

    def answered(self, answer: Answer) -> AwaitMount:
        """Show the answer; await the result to know the cards are in the layout."""
        self.turn = self.turn.answered(answer)
        self._line(answer_line(answer, self.show_timings))
        best = max((hit.score for hit in answer.hits), default=0.0)
        cards: list[AnswerCard] = [QuoteCard(quote) for quote in answer.quotes]
        cards += [AnswerCard(hit, best, show_score=self.show_scores) for hit in answer.hits]
        return self.mount_all(cards)

    @property
    def cards(self) -> list[AnswerCard]:
        """The passages' cards, in rank order (`cards[i].hit` is the answer's hits[i])."""
        return [card for card in self.query(AnswerCard) if not isinstance(card, QuoteCard)]

    @property
    def quote_cards(self) -> list[QuoteCard]:
        return list(self.query(QuoteCard))

    @property
    def all_cards(self) -> list[AnswerCard]:
        """Every card in screen order: the quotes', then the passages'."""
        return list(self.query(AnswerCard))

    def _line(self, content: Content) -> None:
        self._answer_line.update(content)


def answer_line(answer: Answer, show_timings: bool) -> Content:
    """The best-answering sentence with its [1] marker, or why there is none."""
    if not answer.hits:
        # Why, when known (a filter excluding every article...): see `qa.notices`.
        why = f": {answer.notice}" if answer.notice else "."
        return plain(f"No passages found{why}", "bold $text-warning")
    top = answer.hits[0]
    parts: list[str | Content | tuple[str, str]] = []
    if answer.notice:
        # "What else did he say?" with every quote shown already (`Conversation.explained`).
        parts += [plain(f"({answer.notice})", "italic $text-muted"), "\n"]
    if not answer.confident:
        parts.append(
            ("No confident answer in the library; the nearest passages:\n", "bold $text-warning")
        )
    parts += [
        plain_spans(top.best_sentence.strip()),
        " ",
        ("[1]", "bold $text-accent"),
        plain(f" ({top.citation.title}, {top.citation.place()})", "$text-muted"),
        (f"  confidence {answer.confidence:.0%}", "$text-muted"),
    ]
    if show_timings:
        parts.append((f"  {answer.seconds * 1000:.0f} ms", "$text-muted"))
    return Content.assemble(*parts)
