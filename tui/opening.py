"""`o` on a card or in the reader: open the cited article's source from the chat.

The decisions (which URL may go to a browser, which file to an editor, how the editor is
started) are `qa.open_source`'s, shared with `qa ask --open`; this module only runs them
the way a full-screen app must: the editor gets the terminal while the app is suspended
(`App.suspend`), and where nothing can open the source the reader shows the article.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import SuspendNotSupported
from textual.screen import Screen

from qa import Hit
from qa.open_source import open_in_browser, plan_open, run_editor


def open_cited_source(
    screen: Screen[None], hit: Hit, *, in_reader: Callable[[], object] | None = None
) -> None:
    """Open `hit`'s source: its URL in the browser, else its file in `$EDITOR` at the
    line, else `in_reader` (the reader at the paragraph), saying which."""
    plan = plan_open(hit.citation)
    if plan.url is not None and open_in_browser(plan.url):
        screen.notify(f"opened {plan.url} in the browser", title="Source opened")
        return
    if plan.editor is not None:
        try:
            with screen.app.suspend():
                failure = run_editor(plan.editor)
        except SuspendNotSupported:
            # No terminal to hand over (a headless or web driver): the editor needs none.
            failure = run_editor(plan.editor)
        if failure is None:
            screen.notify(f"opened {plan.location} in {plan.editor[0]}", title="Source opened")
        else:
            screen.notify(failure, title="Cannot open the source", severity="error")
        return
    why = "no browser took it" if plan.url is not None else "set $EDITOR to open files"
    if in_reader is not None:
        in_reader()
    screen.notify(f"the source is at {plan.location} ({why})", title="Source")
