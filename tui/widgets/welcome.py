"""The chat's opening words; the example question only where it has an answer."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui.state import LibraryState

WELCOME = (
    "Ask a question about the articles in the library. The answer is the passages that "
    "say it, ranked and cited; Tab moves into them, Enter opens one in the reader."
)

SAMPLE_WELCOME = (
    "Ask a question about the articles in the library, e.g. “What did Peskov say?”. "
    "The answer is the passages that say it, ranked and cited; Tab moves into them, "
    "Enter opens one in the reader."
)
"""For the bundled sample only: over a user's own articles the example would find nothing."""


class Welcome(Static):
    def __init__(self, *, id: str | None = None) -> None:
        # The plain words until the library says whether it is the sample.
        super().__init__(Content.styled(WELCOME, "$text-muted"), id=id)

    def show(self, state: LibraryState) -> None:
        text = SAMPLE_WELCOME if state.sample else WELCOME
        self.update(Content.styled(text, "$text-muted"))
