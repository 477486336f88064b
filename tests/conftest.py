"""Shared fixtures: every test runs against its own QA_HOME, never the developer's library.

The whole session, and every process it starts, writes only under pytest's temporary
folder: `pytest_configure` points HOME, the XDG folders, TMPDIR, QA_HOME and
QA_CACHE_DIR there before any test module is imported or any fixture runs. A
module-scoped fixture runs before the per-test QA_HOME below; without this it used the
developer's own ~/.cache/article-qa (a ~170 MB model export) and data folder. Derived
caches (the ONNX export of the model, its hash) are shared by the whole session so that
the export is paid once.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SESSION_FOLDERS = {
    "HOME": "home",
    "XDG_CACHE_HOME": "home/.cache",
    "XDG_CONFIG_HOME": "home/.config",
    "XDG_DATA_HOME": "home/.local/share",
    "XDG_STATE_HOME": "home/.local/state",
    "XDG_RUNTIME_DIR": "run",
    "TMPDIR": "tmp",
    "QA_HOME": "qa-home",
    "QA_CACHE_DIR": "qa-cache",
}
"""Variables naming where things are written, and their folder under the session's."""

REDIRECTS = (
    "HF_HOME",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "TRANSFORMERS_CACHE",
    "SENTENCE_TRANSFORMERS_HOME",
    "TORCH_HOME",
    "TORCHINDUCTOR_CACHE_DIR",
    "TRITON_CACHE_DIR",
    "MPLCONFIGDIR",
    "QA_INDEX",
    "QA_MODEL",
)
"""Variables that would send writes (or reads) to the developer's own folders: removed,
so that they default to places under HOME or QA_CACHE_DIR."""

_session_folders: dict[str, Path] = {}


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # trylast: pytest's own tmp_path plugin makes the factory in its pytest_configure.
    factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
    root = factory.mktemp("session-env", numbered=True)
    for variable, relative in SESSION_FOLDERS.items():
        folder = root / relative
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.environ[variable] = str(folder)
        _session_folders[variable] = folder
    for variable in REDIRECTS:
        os.environ.pop(variable, None)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # `tempfile` caches the folder it found first; forget it so TMPDIR counts here too.
    tempfile.tempdir = None
    # pytest-xdist's workers start with Ctrl-C ignored, and an ignored signal stays
    # ignored in every process they start: the tests that press Ctrl-C on `qa` would see
    # it do nothing. A handler (unlike "ignore") is reset to the default at exec.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def session_cache() -> Path:
    """The session's QA_CACHE_DIR (see `pytest_configure`): the model export, made once."""
    return _session_folders["QA_CACHE_DIR"]


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path: Path, session_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    home = tmp_path / "qa-home"
    monkeypatch.setenv("QA_HOME", str(home))
    monkeypatch.setenv("QA_CACHE_DIR", str(session_cache))
    monkeypatch.delenv("QA_INDEX", raising=False)
    monkeypatch.delenv("QA_MODEL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield home
