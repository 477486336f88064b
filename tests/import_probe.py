"""Which modules a snippet of code leaves loaded, judged in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

# The chat's first frame, with its loading worker (everything it imports comes after the
# frame) replaced by nothing, so what is left loaded is what the first frame needed.
FIRST_FRAME = """
from pathlib import Path

import tui.app


class FirstFrame(tui.app.QAApp):
    CSS_PATH = str(Path(tui.app.__file__).with_name("app.tcss"))

    drawn = False

    def prepare(self) -> None:
        pass

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self.drawn_then_exit)

    def drawn_then_exit(self) -> None:
        self.drawn = self.screen is self.chat and self.chat.query_one("#status").region.height
        self.exit()


app = FirstFrame(index_dir=Path({index_dir!r}))
app.run(headless=True, size=(100, 40))
assert app.drawn, "the chat screen was not drawn"
"""


def loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def loaded_by_first_frame(index_dir: str) -> set[str]:
    """Modules loaded once the chat has drawn its first frame (and before it loads any)."""
    return loaded_after(FIRST_FRAME.format(index_dir=index_dir))
