"""One line at the top of the chat: which library, how big, which model, what is going on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widget import Widget

from index.plural import counted
from tui.plain import plain
from tui.state import FAILED, INDEXING, LOADING, READY, BuildState, LibraryState
from tui.transcript import describe_filters

if TYPE_CHECKING:
    from qa import Filters


def library_name(index_dir: Path | None, default_dir: Path | None) -> str:
    if index_dir is None:
        return "library"
    if default_dir is not None and index_dir == default_dir:
        return "default library"
    home = Path.home()
    try:
        return "~/" + str(index_dir.relative_to(home))
    except ValueError:
        return str(index_dir)


def short_model(model_id: str) -> str:
    """The model's name without its weights hash: the hash matters to the index, not here."""
    for mark in ("@", "#", " "):
        if mark in model_id:
            model_id = model_id.split(mark, 1)[0]
    return model_id.rsplit("/", 1)[-1]


class StatusLine(Widget):
    """Redrawn from the app's state values; holds nothing of its own."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, default_dir: Path | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]  # kwargs are Widget's keywords
        self.default_dir = default_dir
        self.library = LibraryState()
        self.build: BuildState | None = None
        self.filters: Filters | None = None

    def show(
        self,
        library: LibraryState | None = None,
        build: BuildState | None = None,
        filters: Filters | None = None,
    ) -> None:
        if library is not None:
            self.library = library
        if build is not None:
            self.build = build
        if filters is not None:
            self.filters = filters
        self.refresh()

    def render(self) -> Content:
        state = self.library
        # Folder names, errors and filters quote the user's files: plain, escaped.
        parts: list[str | Content | tuple[str, str]] = [
            plain(library_name(state.index_dir, self.default_dir), "bold")
        ]
        info = state.info
        if info is not None:
            parts += [
                f" · {counted(info.articles, 'article')} · {counted(info.passages, 'passage')}",
                plain(f" · {short_model(info.model_id)}"),
            ]
        if state.phase == READY:
            parts.append((" · ready", "$text-success"))
        elif state.phase == FAILED:
            parts.append(plain(f" · {state.error}", "bold $text-error"))
        elif state.phase == INDEXING:
            parts.append(
                plain(f" · indexing the sample library... {state.detail}", "$text-warning")
            )
        elif state.phase == LOADING:
            parts.append((" · loading model...", "$text-warning"))
        else:
            parts.append((" · opening...", "$text-warning"))
        described = describe_filters(self.filters)
        if described:
            parts.append(plain(f" · filter {described}", "bold $text-accent"))
        build = self.build
        if build is not None and build.running:
            fraction = build.fraction()
            done = f" {fraction:.0%}" if fraction is not None else "..."
            parts.append((f" · rebuilding{done}", "$text-warning"))
        return Content.assemble(*parts)
