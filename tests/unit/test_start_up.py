"""What keeps a one-question `qa ask` fast to start, checked as behaviour.

The ONNX session opens a graph optimised once and saved beside the export (weights in a
side file onnxruntime maps); a damaged saved graph is made again; the later move to a
pre-packed session for long inputs changes no vector; and `qa ask` loads none of the
build pipeline, no quote extraction, no tokenizers library for an ASCII question, and no
conversation without --session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from import_probe import loaded_after
from library_fixtures import build, make_library

from index.embedding import onnx_embed, onnx_export
from index.embedding.embed import LazyEmbedder, load_embedder

QUESTIONS = ["What did Peskov say?", "Which NFL team represented the AFC at Super Bowl 50?"]
PASSAGE = " ".join(
    f"In {1900 + i} the council of the river town voted on the bridge and the ferry tariff."
    for i in range(20)
)


@pytest.fixture(scope="module")
def export(session_cache: Path) -> tuple[Path, LazyEmbedder]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QA_CACHE_DIR", str(session_cache))
        embedder = load_embedder(backend="onnx")
        embedder.warm()
        folder = onnx_export.cached_export(embedder.spec, embedder.model_id)  # type: ignore[attr-defined]
    assert folder is not None
    return folder, embedder  # type: ignore[return-value]


def test_the_optimised_graph_is_saved_once_beside_the_export(export: tuple) -> None:
    folder, embedder = export
    saved = onnx_embed.optimized_graph_dir(folder, ort.__version__)
    assert (saved / onnx_export.MODEL_FILE).is_file()
    # The weights live in the side file; the graph itself is small.
    assert (saved / onnx_embed.WEIGHTS_FILE).stat().st_size > 80_000_000
    assert (saved / onnx_export.MODEL_FILE).stat().st_size < 1_000_000
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]
    assert onnx_embed.OnnxBackend(folder, embedder.spec).graph == saved / onnx_export.MODEL_FILE
    plain = _plain_session_vectors(folder, embedder)
    np.testing.assert_allclose(embedder.encode(QUESTIONS), plain, atol=1e-5)


@pytest.mark.parametrize("damage", ["weights", "graph"])
def test_a_damaged_saved_graph_is_made_again(tmp_path: Path, export: tuple, damage: str) -> None:
    folder, embedder = export
    copy = tmp_path / "export"
    shutil.copytree(folder, copy)
    expected = embedder.encode(QUESTIONS)
    saved = onnx_embed.optimized_graph_dir(copy, ort.__version__)
    if damage == "weights":
        (saved / onnx_embed.WEIGHTS_FILE).write_bytes(b"not weights")
    else:
        (saved / onnx_export.MODEL_FILE).unlink()
    backend = onnx_embed.OnnxBackend(copy, embedder.spec)
    np.testing.assert_allclose(backend.encode(QUESTIONS, 64), expected, atol=1e-6)
    assert backend.graph == saved / onnx_export.MODEL_FILE
    assert (saved / onnx_embed.WEIGHTS_FILE).stat().st_size > 80_000_000
    assert not [p for p in copy.iterdir() if p.name.startswith(".")]


def test_moving_to_a_prepacked_session_changes_no_vector(
    export: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, embedder = export
    before = onnx_embed.OnnxBackend(folder, embedder.spec).encode([*QUESTIONS, PASSAGE], 64)
    backend = onnx_embed.OnnxBackend(folder, embedder.spec)
    # Questions count only as calls; a long passage counts its cells.
    monkeypatch.setattr(onnx_embed, "PREPACK_AFTER_CELLS", 100)
    monkeypatch.setattr(onnx_embed, "PREPACK_AFTER_RUNS", 1_000)
    backend.encode(QUESTIONS * 20, 64)
    assert not backend.prepacked
    backend.encode([PASSAGE], 64)
    assert backend.prepacked
    np.testing.assert_allclose(backend.encode([*QUESTIONS, PASSAGE], 64), before, atol=2e-5)


def test_a_run_of_questions_moves_to_a_prepacked_session_and_one_question_does_not(
    export: tuple,
) -> None:
    # One `qa ask` must not pay the move; the chat's questions, one call each, must get it.
    folder, embedder = export
    backend = onnx_embed.OnnxBackend(folder, embedder.spec)
    first = backend.encode([QUESTIONS[0]], 64)
    assert not backend.prepacked
    for _ in range(onnx_embed.PREPACK_AFTER_RUNS):
        backend.encode([QUESTIONS[0]], 64)
    assert backend.prepacked
    np.testing.assert_allclose(backend.encode([QUESTIONS[0]], 64), first, atol=2e-5)


def test_qa_ask_loads_only_what_answering_needs(tmp_path: Path) -> None:
    # Each module below costs a cold `qa ask` its import (and its regexes) for nothing:
    # quotes are extracted at build time and only read when asking.
    index_dir = tmp_path / "index"
    build(index_dir, make_library(tmp_path / "articles", extra=False))
    loaded = loaded_after(
        "from qa.cli import main\n"
        f"assert main(['ask', 'What did Peskov say?', '--index', {str(index_dir)!r}]) == 0"
    )
    assert "onnxruntime" in loaded and "qa.library" in loaded
    unwanted = {
        "index.build.run",
        "index.sources.readers",
        "index.sources.registry",
        "index.store.writer",
        "index.sources.chunking",
        "trafilatura",
        # Quote extraction: the quotes asked about were found by the build.
        "index.sources.quotes",
        "index.sources.quote_cues",
        "index.sources.quote_marks",
        "index.sources.reported_speech",
        "index.sources.speakers",
        # A question without --session has no earlier turns to read.
        "qa.conversation",
        # A one-store library fans out to no shards.
        "concurrent.futures",
        # Masked arrays: np.unique's first plain call imports them (~12 ms).
        "numpy.ma",
        # An ASCII question is cut into word pieces without the tokenizers library.
        "tokenizers",
        # A question on the command line reads no stdin lines.
        "qa.lines",
        "torch",
        "sentence_transformers",
        "textual",
    }
    assert not loaded & unwanted, loaded & unwanted
    # The build's records (seven dataclasses) come in with the first quote read, and a
    # question about no one reads none.
    assert "index.models" in loaded
    plain = loaded_after(
        "from qa.cli import main\n"
        f"assert main(['ask', 'Where is the bridge?', '--index', {str(index_dir)!r}]) == 0"
    )
    assert not plain & (unwanted | {"index.models"}), plain & (unwanted | {"index.models"})
    # The same question with --session reads its turns (the lazy import still works).
    session = tmp_path / "turns.json"
    with_session = loaded_after(
        "from qa.cli import main\n"
        f"assert main(['ask', 'What did Peskov say?', '--index', {str(index_dir)!r}, "
        f"'--session', {str(session)!r}]) == 0"
    )
    assert "qa.conversation" in with_session and session.is_file()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_the_qa_command_loads_numpy_without_blas_threads_unless_asked() -> None:
    # OpenBLAS starts a spinning thread per core as numpy loads; `qa` wants none of them
    # (the model has its own threads), but a count the user set is theirs.
    count = (
        "import os\n"
        "from qa.cli import single_threaded_blas\n"
        "single_threaded_blas()\n"
        "import numpy\n"
        "print(len(os.listdir('/proc/self/task')), os.environ['OPENBLAS_NUM_THREADS'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    ours = subprocess.run([sys.executable, "-c", count], env=env, capture_output=True, text=True)
    assert ours.stdout.split() == ["1", "1"], ours.stderr
    theirs = subprocess.run(
        [sys.executable, "-c", count],
        env={**env, "OPENBLAS_NUM_THREADS": "2"},
        capture_output=True,
        text=True,
    )
    assert theirs.stdout.split() == ["2", "2"], theirs.stderr


def _plain_session_vectors(folder: Path, embedder: LazyEmbedder) -> np.ndarray:
    """The questions' vectors from the plain export, optimised at load as before."""
    backend = onnx_embed.OnnxBackend(folder, embedder.spec, saved_graph=False)
    return backend.encode(QUESTIONS, 64)
