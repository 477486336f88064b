"""Library strings as plain Textual content: no markup, no control characters.

A title, a file name or a paragraph is untrusted. Given to a widget as a `str` it is
parsed as Textual markup (`[/x].txt` raised MarkupError, `[@click=app.quit]` became a
live link), and its control characters reach the terminal (an OSC 0 set tmux's pane
title). Widgets therefore get `Content` built here, never a library `str`: the text is
taken literally and escaped with `qa.terminal.visible`.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content

from qa.terminal import visible, visible_map

LAYOUT = "\n\t"
"""Layout characters a widget handles itself: kept in multi-line text such as paragraphs."""


def plain(text: str | None, style: str = "") -> Content:
    """`text` shown literally on one line, in `style`."""
    shown = visible(text or "")
    return Content.styled(shown, style) if style else Content(shown)


def plain_spans(text: str, spans: Sequence[tuple[int, int, str]] = ()) -> Content:
    """Multi-line `text` shown literally, with `spans` ([start, end) of `text`) styled.

    The spans are positions in the stored text; escaping lengthens it, so they are moved
    with it.
    """
    shown, positions = visible_map(text, keep=LAYOUT)
    content = Content(shown)
    for start, end, style in spans:
        start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
        if positions is not None:
            start, end = positions[start], positions[end]
        if start < end:
            content = content.stylize(style, start, end)
    return content
