"""A fork server that runs real builds in child processes and kills them on request.

Why a fork server: a kill -9 test needs a fresh process per kill, and starting Python,
importing numpy/FAISS/onnxruntime and loading the model costs ~2 s, against a build of a
few hundred milliseconds. This driver pays that once: it pins itself to one core (so the
ONNX session runs without a thread pool, which would not survive `fork`), loads and warms
the embedder, then forks one child per request. Each child runs `build_index` exactly as
the CLI does; the parent kills it with SIGKILL a given time after the build started.

Protocol (one JSON object per line on stdin, one JSON reply per line on stdout):
request  {"index": DIR, "paths": [..], "kill_after": SECONDS | null, "crash_at": STEP | null}
reply    {"pid": N, "killed": bool, "status": exit code or -signal, "stage": last event,
          "seconds": time from the build's start to the child's end}
`crash_at` names a commit step: one the build's fault hook is called at (passed to
`build_index`, see index/build/faults.py), or one of `FSYNC_STEPS`, reached by wrapping
`os.fsync` in the child.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path


def _child(request: dict, embedder: object, write_fd: int) -> None:
    """Run one build, reporting each event's stage on `write_fd`; never returns."""
    from index.build.faults import fault_hook
    from index.build.run import BuildProgress, BuildReport, build_index
    from index.errors import QAError

    code = 0
    try:
        crash_at = request.get("crash_at")
        if crash_at in FSYNC_STEPS:
            _kill_around_vector_fsync(after=crash_at == "after-vector-fsync")
            crash_at = None
        os.write(write_fd, b"started\n")
        events = build_index(
            Path(request["index"]),
            [Path(p) for p in request.get("paths", [])],
            embedder=embedder,  # type: ignore[arg-type]
            fault=fault_hook(crash_at=crash_at),
        )
        for event in events:
            if isinstance(event, BuildProgress):
                os.write(write_fd, f"{event.stage}\n".encode())
            elif isinstance(event, BuildReport):
                os.write(write_fd, b"done\n")
    except QAError as error:
        os.write(write_fd, f"error {error}\n".encode())
        code = error.exit_code
    except BaseException as error:  # noqa: BLE001 - report anything, then exit
        os.write(write_fd, f"error {type(error).__name__}: {error}\n".encode())
        code = 99
    os._exit(code)


FSYNC_STEPS = ("after-vector-write", "after-vector-fsync")
"""Commit steps inside `write_vector_file`, reached by wrapping `os.fsync` (no hook there)."""


def _kill_around_vector_fsync(*, after: bool) -> None:
    """SIGKILL this process just before (or after) the vector temp file is fsynced."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        target = os.readlink(f"/proc/self/fd/{fd}")
        if not target.endswith(".faiss.tmp"):
            return real_fsync(fd)
        if after:
            real_fsync(fd)
        os.kill(os.getpid(), signal.SIGKILL)

    os.fsync = fsync  # type: ignore[assignment]


def _read_lines(fd: int) -> list[str]:
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode(errors="replace").splitlines()


def _serve_one(request: dict, embedder: object) -> dict:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(request, embedder, write_fd)
    os.close(write_fd)
    # Wait for the child to say it started, so the delay measures the build, not the fork.
    started = b""
    while not started.endswith(b"\n"):
        part = os.read(read_fd, 1)
        if not part:
            break
        started += part
    began = time.monotonic()
    killed = False
    kill_after = request.get("kill_after")
    if kill_after is not None:
        time.sleep(kill_after)
        try:
            os.kill(pid, signal.SIGKILL)
            killed = True
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    elapsed = time.monotonic() - began
    os.set_blocking(read_fd, False)
    lines = _read_lines(read_fd)
    os.close(read_fd)
    if os.WIFSIGNALED(status):
        code = -os.WTERMSIG(status)
    else:
        code = os.WEXITSTATUS(status)
        killed = False
    return {
        "pid": pid,
        "killed": killed and code == -signal.SIGKILL,
        "status": code,
        "stage": lines[-1] if lines else "starting",
        "seconds": elapsed,
    }


def main() -> None:
    # One core: the ONNX session then runs on the calling thread (no pool to lose in fork).
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import faiss  # noqa: F401 - imported once here, not in every child

    import index.build.run  # noqa: F401
    from index.embedding.embed import load_embedder

    embedder = load_embedder()
    embedder.encode(["warm up"])
    print(json.dumps({"ready": True, "model_id": embedder.model_id}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(_serve_one(json.loads(line), embedder)), flush=True)


if __name__ == "__main__":
    main()
