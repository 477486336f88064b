"""What Ctrl+P's command palette offers besides Textual's own (theme, keys, quit...).

Each entry runs an action the app already has a key for, so the palette is a second way
in, never a second implementation. "Open" runs the chat screen's `open_source` action by
name: that action belongs with the answer cards it opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

if TYPE_CHECKING:
    from tui.app import QAApp


def palette_commands(app: QAApp) -> Iterator[SystemCommand]:
    yield SystemCommand("Rebuild", "Rebuild the index (incremental, Ctrl+R)", app.action_rebuild)
    yield SystemCommand("Export", "Export the transcript as Markdown (Ctrl+E)", app.action_export)
    yield SystemCommand(
        "Open", "Open the focused card's source (its URL, else its file)", lambda: open_source(app)
    )
    yield SystemCommand("Help", "Every key and /command (F1)", app.action_help)


async def open_source(app: QAApp) -> None:
    chat = app.chat
    if not hasattr(chat, "action_open_source"):
        app.notify("opening a source is not available in this version", severity="warning")
        return
    if app.screen is not chat:
        app.notify("open a source from the chat: Escape back to it first")
        return
    await chat.run_action("open_source")
