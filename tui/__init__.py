"""The chat TUI (textual). This package's own import loads nothing: `run_chat` imports
`tui.app` (and with it textual) lazily, so `qa` can offer the chat without loading textual
for its other commands."""

from __future__ import annotations

from pathlib import Path


def run_chat(index_dir: Path | None = None, model: str | None = None, backend: str = "auto") -> int:
    from tui.app import run_chat as run

    return run(index_dir, model, backend)
