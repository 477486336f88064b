"""`qa --version` and `qa completion SHELL`: the scripts, sourced in the real shells."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from qa.cli import OneLineParser, build_parser
from qa.completion import completion_script

QA = [sys.executable, "-m", "qa"]


def qa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*QA, *args], capture_output=True, text=True, timeout=60)


def test_version_prints_the_installed_version() -> None:
    result = qa("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"qa {version('article-qa')}\n"
    assert re.fullmatch(r"qa \d+\.\d+\S*\n", result.stdout)


def test_completion_of_an_unknown_shell_is_a_usage_error() -> None:
    result = qa("completion", "tcsh")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "tcsh" in result.stderr


def bash_completions(script: str, *words: str, cwd: Path | None = None) -> list[str]:
    """What Tab offers after `words` (the last one being completed) in a real bash."""
    probe = (
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); '
        '_qa_complete; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    result = subprocess.run(
        ["bash", "--norc", "-c", probe, "probe", script, *words],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return [line for line in result.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    result = qa("completion", "bash")
    assert result.returncode == 0, result.stderr
    path = tmp_path_factory.mktemp("completion") / "qa.bash"
    path.write_text(result.stdout)
    return str(path)


def test_bash_completes_commands_subcommands_options_and_choices(
    bash_script: str, tmp_path: Path
) -> None:
    assert bash_completions(bash_script, "qa", "in") == ["index"]
    assert bash_completions(bash_script, "qa", "index", "b") == ["build"]
    assert bash_completions(bash_script, "qa", "--index", "/tmp/x", "index", "st") == ["status"]
    assert bash_completions(bash_script, "qa", "ask", "-k", "5", "--js") == ["--json", "--jsonl"]
    assert bash_completions(bash_script, "qa", "ask", "--retriever", "d") == ["dense"]
    assert bash_completions(bash_script, "qa", "completion", "") == ["bash", "zsh", "fish"]
    (tmp_path / "news-folder").mkdir()
    found = bash_completions(bash_script, "qa", "index", "build", "news", cwd=tmp_path)
    assert found == ["news-folder"]


def test_a_command_added_to_the_parser_completes_without_editing_the_script(
    tmp_path: Path,
) -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    added = commands.add_parser("summarise")  # type: ignore[attr-defined]  # the subparsers action
    assert isinstance(added, OneLineParser)
    added.add_argument("--style", choices=("short", "long"))
    path = tmp_path / "qa.bash"
    path.write_text(completion_script("bash", parser))
    assert bash_completions(str(path), "qa", "summ") == ["summarise"]
    assert bash_completions(str(path), "qa", "summarise", "--style", "") == ["short", "long"]


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x07\x08\r]")


def read_until(terminal: int, wanted: str, timeout: float = 30.0) -> str:
    """What an interactive shell on `terminal` printed, up to `wanted` (escapes stripped)."""
    seen = ""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        assert time.monotonic() < deadline, f"no {wanted!r} in {seen[-300:]!r}"
        if select.select([terminal], [], [], 0.2)[0]:
            seen += ANSI.sub("", os.read(terminal, 4096).decode(errors="replace"))
    return seen


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completes_on_tab_in_an_interactive_shell(tmp_path: Path) -> None:
    path = tmp_path / "qa.zsh"
    path.write_text(qa("completion", "zsh").stdout)
    assert subprocess.run(["zsh", "-n", str(path)], capture_output=True).returncode == 0
    pid, terminal = pty.fork()
    if pid == 0:  # the child: an interactive zsh with no start-up files
        os.environ["HOME"] = str(tmp_path)
        os.execvp("zsh", ["zsh", "-f", "-i"])
    try:
        # The marker is split in the typed line, so only the command's output matches it.
        setup = f"autoload -U compinit; compinit -u -d {tmp_path}/dump; source {path}; echo RE''ADY"
        os.write(terminal, setup.encode() + b"\n")
        read_until(terminal, "READY\n")
        os.write(terminal, b"qa in\t")
        read_until(terminal, "qa index")
        os.write(terminal, b"\x15qa index b\t")  # Ctrl+U clears the line first
        read_until(terminal, "qa index build")
        os.write(terminal, b"\x15qa ask --retriever \t")
        assert "hybrid" in read_until(terminal, "bm25")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(terminal)


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_commands_and_choices(tmp_path: Path) -> None:
    path = tmp_path / "qa.fish"
    path.write_text(qa("completion", "fish").stdout)

    def offered(line: str) -> list[str]:
        probe = f'source {path}; complete -C"{line}"'
        ran = subprocess.run(
            ["fish", "--no-config", "-c", probe],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "HOME": str(tmp_path)},
        )
        assert ran.returncode == 0, ran.stderr
        return [row.split("\t")[0] for row in ran.stdout.splitlines()]

    assert offered("qa in") == ["index"]
    assert offered("qa index b") == ["build"]
    assert sorted(offered("qa ask --retriever ")) == ["bm25", "dense", "hybrid"]
