"""Small real article folders for tests, and a helper to build an index over one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from index.build.run import BuildReport, build_index, run_build
from index.embedding.embed import load_embedder
from index.locations import sample_dir
from index.models import Embedder

SAMPLE = "moscow-times-belarus-reserve.txt"

EXTRA_ARTICLES = {
    "harbour-bridge.txt": (
        "Title: Harbour bridge reopens\nSource: Coastal Herald\nPublished: 2021-03-04\n\n"
        "The harbour bridge reopened to traffic on Thursday after eight months of repairs "
        "to its steel cables.\n\n"
        "Mayor Ines Duarte said the city spent 41 million euros on the work and thanked "
        "residents for their patience.\n\n"
        "Ferry operators reported that passenger numbers fell by a third once the bridge "
        "reopened."
    ),
    "orchard-frost.md": (
        "Title: Late frost hits orchards\nSource: Valley Farmer\nPublished: 2022-04-20\n\n"
        "A late frost destroyed most of the apricot blossoms in the upper valley this week.\n\n"
        "Growers estimate that the apricot harvest will be less than half of last year's."
    ),
}


def make_library(folder: Path, *, sample: bool = True, extra: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if sample:
        shutil.copy(sample_dir() / SAMPLE, folder / SAMPLE)
    if extra:
        for name, text in EXTRA_ARTICLES.items():
            (folder / name).write_text(text, encoding="utf-8")
    return folder


_EMBEDDER: Embedder | None = None


def embedder() -> Embedder:
    """One embedder per test session: loading the model is the slow part of a test."""
    global _EMBEDDER
    if _EMBEDDER is None:
        _EMBEDDER = load_embedder()
    return _EMBEDDER


def build(index_dir: Path, *paths: Path, full: bool = False, **kwargs: object) -> BuildReport:
    return run_build(
        build_index(index_dir, list(paths), embedder=embedder(), full=full, **kwargs)  # type: ignore[arg-type]
    )


def _shared_dir() -> Path:
    """The project's shared data: `QA_SHARED_DIR`, else `shared/` beside the repository."""
    env = os.environ.get("QA_SHARED_DIR")
    if env:
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "shared"
    return beside if beside.is_dir() else Path("/work/shared")


SHARED = _shared_dir()
