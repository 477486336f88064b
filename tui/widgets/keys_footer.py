"""The footer of key bindings, rebuilt once per burst of binding changes.

textual's `Footer` rebuilds all its keys on every `bindings_updated` signal, and a screen
coming up sends several in a row (mount, focus, resume): at start-up that was five
rebuilds of every key before the first frame, about a sixth of the time to first paint.
This footer skips a rebuild while one is already scheduled: that one reads the screen's
bindings when it runs, so it still shows the latest state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen


class KeysFooter(Footer):
    _rebuild_scheduled = False

    def bindings_changed(self, screen: Screen) -> None:
        if self._rebuild_scheduled:
            return
        super().bindings_changed(screen)
        # The condition under which textual's Footer schedules its rebuild: otherwise
        # nothing is pending and the next change must be let through.
        self._rebuild_scheduled = bool(
            screen.app.app_focus and self.is_attached and screen is self.screen
        )

    async def recompose(self) -> None:
        self._rebuild_scheduled = False
        await super().recompose()
