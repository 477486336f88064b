"""The crash-point hook of a build, made once at the top and passed down.

Tests prove each step of the commit protocol crash-safe by killing the build there
(`crash_at`), and land a Ctrl-C or SIGTERM inside a given stage without racing the build
by stopping it there (`stop_at`, SIGSTOP) until they have signalled it. A `qa` process
started by a test takes them from `QA_CRASH_AT` / `QA_STOP_AT`, read once by the `qa index
build` command (`qa.commands`) and passed in; nothing in the build reads the environment.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

from index.store.writer import FaultHook, no_faults


def fault_hook(*, crash_at: str | None = None, stop_at: str | None = None) -> FaultHook:
    """A hook that SIGKILLs the process at step `crash_at` and SIGSTOPs it at `stop_at`."""
    if not crash_at and not stop_at:
        return no_faults

    def at(point: str) -> None:
        if point == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if point == stop_at:
            os.kill(os.getpid(), signal.SIGSTOP)

    return at


def faults_from_environment(environ: Mapping[str, str] = os.environ) -> FaultHook:
    """The hook `QA_CRASH_AT` / `QA_STOP_AT` ask for (none, for every ordinary run)."""
    return fault_hook(crash_at=environ.get("QA_CRASH_AT"), stop_at=environ.get("QA_STOP_AT"))
