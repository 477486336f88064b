"""Acting on a citation: its web page in the browser, else its file in `$EDITOR` at the line.

`qa ask --open N` and the chat's `o` both come here. What they open comes from the
library, and so from the articles themselves (an article names its own URL), so:
- only an http or https URL is handed to the browser (`Citation.web_url`); a `file:`,
  `javascript:` or custom-scheme URL is never opened, only shown;
- a file is opened only when it is the file the index recorded: the citation's absolute
  path, still a regular file (not a PDF or other binary an editor cannot show);
- no shell ever runs: the editor starts from an argument list, `$EDITOR` itself split
  with `shlex` (so `EDITOR="code --wait"` works), the path passed as one argument.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from index.errors import UsageError
from qa.answer import Answer, Citation

NOT_EDITABLE = frozenset({".pdf"})
"""Indexed formats whose files are not text: an editor would show their bytes."""


@dataclass(frozen=True)
class SourcePlan:
    """How a citation's source can be opened, best first; either may be missing."""

    url: str | None
    """The web address to send to the browser (http or https only)."""
    editor: list[str] | None
    """The editor's argument list (`$EDITOR`, `+LINE` when known, the file), if any."""
    location: str
    """Where the source is, for the user to open it themselves: URL or `path:line`."""


def plan_open(citation: Citation, environ: Mapping[str, str] | None = None) -> SourcePlan:
    """What `open_source` would do for `citation`, decided without running anything."""
    environ = os.environ if environ is None else environ
    return SourcePlan(
        url=citation.web_url(),
        editor=editor_command(citation, environ.get("EDITOR", "")),
        location=citation.location(),
    )


def editor_command(citation: Citation, editor: str) -> list[str] | None:
    """`$EDITOR +LINE PATH` as an argument list, or None without an editor or a file."""
    try:
        program = shlex.split(editor)
    except ValueError:  # unbalanced quotes: not a command we can run as the user meant
        return None
    path = indexed_file(citation)
    if not program or path is None:
        return None
    line = [f"+{citation.line}"] if citation.line is not None else []
    return [*program, *line, path]


def indexed_file(citation: Citation) -> str | None:
    """The cited file's path if it is one to open in an editor: the absolute path the
    index recorded, a regular file now, in a text format."""
    path = citation.path
    if not os.path.isabs(path) or Path(path).suffix.lower() in NOT_EDITABLE:
        return None
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return path if stat.S_ISREG(mode) else None


def open_in_browser(url: str) -> bool:
    """Send `url` to the user's browser; False when no browser took it."""
    import webbrowser

    try:
        return bool(webbrowser.open(url))
    except webbrowser.Error:
        return False


def run_editor(command: list[str]) -> str | None:
    """Run the editor in the foreground until it exits; why it failed, or None."""
    try:
        result = subprocess.run(command, check=False)
    except OSError as error:
        return f"cannot start the editor {command[0]!r}: {error.strerror or error}"
    if result.returncode != 0:
        return f"the editor {command[0]!r} exited with status {result.returncode}"
    return None


def open_source(citation: Citation) -> str:
    """Open the citation's source for a command line: browser, else editor, else nothing.

    Returns what happened, one line for the user ("opened https://..." or where the
    source is when nothing could open it).
    """
    plan = plan_open(citation)
    if plan.url is not None and open_in_browser(plan.url):
        return f"opened {plan.url} in the browser"
    if plan.editor is not None:
        failure = run_editor(plan.editor)
        if failure is None:
            return f"opened {plan.location} in {plan.editor[0]}"
        return f"{failure}; the source is at {plan.location}"
    why = "no browser took it" if plan.url is not None else "set $EDITOR to open it there"
    return f"the source is at {plan.location} ({why})"


def check_open(number: int, k: int, question: str) -> None:
    """Refuse `--open N` that no answer can satisfy, before anything is loaded."""
    if question == "-":
        raise UsageError("--open needs one question, not - (which hit of which answer?)")
    if not 1 <= number <= k:
        raise UsageError(f"--open {number}: choose a hit from 1 to -k ({k})")


def open_hit(answer: Answer, number: int) -> str:
    """Open the source of hit `number` (1-based) of `answer`; one line saying what happened."""
    if number > len(answer.hits):
        found = len(answer.hits)
        raise UsageError(f"--open {number}: the answer has {found} hit{'' if found == 1 else 's'}")
    return open_source(answer.hits[number - 1].citation)
