"""Issue 12, item 6: on a terminal, no message runs on after the build's progress line.

`qa index build` runs with its stderr on a pseudo-terminal, so it redraws its progress
line in place; what a user would see is rebuilt from the bytes by a small model of the
terminal (carriage return, erase to end of line, newline). Every message must sit on a
line of its own: a skipped file, the interrupt's message, the summary.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import make_library

QA = [sys.executable, "-m", "qa"]
PROGRESS_WORDS = ("scanning...", "reading ", "embedding ", "committing...")


def screen_lines(output: str) -> list[str]:
    """The lines a terminal shows after printing `output` (CR, ESC[K and LF understood)."""
    lines: list[str] = []
    line: list[str] = []
    column = 0
    position = 0
    while position < len(output):
        char = output[position]
        if output.startswith("\x1b[K", position):
            del line[column:]
            position += 3
            continue
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append("".join(line))
            line, column = [], 0
        else:
            if column < len(line):
                line[column] = char
            else:
                line.append(char)
            column += 1
        position += 1
    if line:
        lines.append("".join(line))
    return lines


def assert_messages_on_their_own_lines(lines: list[str], *messages: str) -> None:
    for message in messages:
        found = [line for line in lines if message in line]
        assert found, (message, lines)
        for line in found:
            assert line.startswith(f"qa: {message}"), (message, line)
            assert not any(word in line for word in PROGRESS_WORDS), line


def build_on_a_terminal(
    folder: Path, index: Path, env: dict[str, str] | None = None, stop: int | None = None
) -> tuple[int, list[str]]:
    """Run `qa index build` with stderr on a pty; with `stop`, a build stopped at its
    embedding step (QA_STOP_AT) gets that signal there. Its exit code and screen lines."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*QA, "index", "build", str(folder), "--index", str(index)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env={**os.environ, **(env or {})},
    )
    os.close(terminal)
    output = b""
    try:
        if stop is not None:
            _, status = os.waitpid(process.pid, os.WUNTRACED)
            assert os.WIFSTOPPED(status), status
            process.send_signal(stop)
            process.send_signal(signal.SIGCONT)
        while True:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the pty closed: the process has ended
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    # A pty turns "\n" into "\r\n"; the model handles both.
    return code, screen_lines(output.decode("utf-8", "replace"))


def test_a_skipped_file_and_the_summary_start_their_own_lines(tmp_path: Path) -> None:
    folder = make_library(tmp_path / "articles", extra=False)
    (folder / "empty.txt").write_bytes(b"")
    code, lines = build_on_a_terminal(folder, tmp_path / "index")
    assert code == 0, lines
    assert_messages_on_their_own_lines(lines, f"skipped {folder / 'empty.txt'}", "indexed ")
    summary = lines[-1]
    # One article, one file skipped: counted in the singular.
    assert summary.startswith("qa: indexed 1 article, "), summary
    assert "1 file skipped" in summary and "1 articles" not in summary


@pytest.mark.slow
def test_an_interrupt_during_progress_is_reported_on_its_own_line(tmp_path: Path) -> None:
    folder = make_library(tmp_path / "articles")
    code, lines = build_on_a_terminal(
        folder, tmp_path / "index", env={"QA_STOP_AT": "embedding"}, stop=signal.SIGINT
    )
    assert code == 130, lines
    assert_messages_on_their_own_lines(lines, "build interrupted; previous index kept")


WARN_MID_PROGRESS = """
import logging, warnings
from index.build.events import BuildProgress
from qa.commands import show_build

def events():
    yield BuildProgress("reading", 1, 3)
    warnings.warn("a library's deprecation warning", UserWarning, stacklevel=1)
    yield BuildProgress("reading", 2, 3)
    logging.getLogger("some.library").warning("a library's log line")
    yield BuildProgress("reading", 3, 3)

show_build(events())
"""


def test_a_warning_or_log_line_mid_progress_starts_its_own_line() -> None:
    """Text that libraries write to stderr during a build (Python warnings, logging) too."""
    controller, terminal = pty.openpty()
    process = subprocess.run(
        [sys.executable, "-c", WARN_MID_PROGRESS],
        stdin=subprocess.DEVNULL,
        stderr=terminal,
        timeout=60,
    )
    os.close(terminal)
    output = b""
    while select.select([controller], [], [], 0.5)[0]:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.returncode == 0
    lines = screen_lines(output.decode())
    for text in ("a library's deprecation warning", "a library's log line"):
        [line] = [line for line in lines if text in line]
        assert not any(word in line for word in PROGRESS_WORDS), line
    assert "reading 3/3 files" not in "".join(lines), "the progress line is erased at the end"
