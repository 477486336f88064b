"""The chat TUI (textual). Only `tui.app` imports textual; `run_chat` imports it lazily,
so `qa` can offer the chat without loading textual for its other commands."""

from __future__ import annotations

from pathlib import Path


def run_chat(index_dir: Path | None = None, model: str | None = None, backend: str = "auto") -> int:
    from tui.app import run_chat as run

    return run(index_dir, model, backend)
