"""The question box: an Input that walks back through earlier questions with Up/Down."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class QuestionInput(Input):
    """Up/Down recall earlier questions, as in a shell; what was being typed is kept.

    While a question is being answered the box is `locked`: it refuses to submit but keeps
    focus and lets the next question be typed (disabling it would drop focus, and with it
    the footer's keys and the user's place).
    """

    BINDINGS = [
        Binding("up", "history(-1)", "Previous question", show=False),
        Binding("down", "history(1)", "Next question", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # kwargs are Input's keywords
        # Focus comes back to the box with the user's draft in it (from a card, or with
        # a key typed on a card): selected, the next key would replace the whole draft.
        self.select_on_focus = False
        self.history: list[str] = []
        self._position: int | None = None  # index into history while walking it
        self._draft = ""  # what was typed before walking began
        self.locked = False

    def lock_for_answer(self, placeholder: str) -> None:
        self.locked = True
        self.placeholder = placeholder
        self.add_class("-locked")

    def unlock_after_answer(self, placeholder: str) -> None:
        self.locked = False
        self.placeholder = placeholder
        self.remove_class("-locked")

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._position = None
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._position is None:
            if step > 0:
                return
            self._draft = self.value
            position = len(self.history) - 1
        else:
            position = self._position + step
        if position < 0:
            return
        if position >= len(self.history):
            self._position = None
            self._set(self._draft)
            return
        self._position = position
        self._set(self.history[position])

    def _set(self, text: str) -> None:
        self.value = text
        self.cursor_position = len(text)
