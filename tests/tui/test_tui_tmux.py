"""The app as a new user meets it: `qa` in a real terminal (tmux), asked a question.

Needs tmux on PATH (skipped otherwise). Starts `python -m qa` with a fresh QA_HOME, so
this also covers the first-use build of the sample library inside the app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)

REPO = Path(__file__).resolve().parents[2]


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], check=True, capture_output=True, text=True, timeout=10
    ).stdout


def wait_for_screen(session: str, wanted: list[list[str]], timeout: float) -> str:
    """Poll the pane until, for each group in `wanted`, one of its strings is shown."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if all(any(s in screen for s in group) for group in wanted):
            return screen
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {wanted}; the screen was:\n{screen}")


def test_ask_peskov_in_a_real_terminal(tmp_path: Path) -> None:
    session = f"qa-test-{uuid.uuid4().hex[:8]}"
    env = {
        "QA_HOME": str(tmp_path / "home"),
        "QA_CACHE_DIR": os.environ.get("QA_CACHE_DIR", str(tmp_path / "cache")),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TERM": "xterm-256color",
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    # "; sleep" keeps a crashed app's last screen readable for the failure message.
    command = f"cd {REPO} && env {exports} {sys.executable} -m qa; sleep 30"
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
    try:
        wait_for_screen(session, [["ready"]], timeout=90)
        tmux("send-keys", "-t", session, "What did Peskov say?", "Enter")
        screen = wait_for_screen(
            session,
            [["out of the question", "no point in talking"], ["paragraph 1", "moscow-times"]],
            timeout=60,
        )
        assert "Traceback" not in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=10)
