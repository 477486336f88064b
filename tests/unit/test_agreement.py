"""The ONNX fast path answers exactly like sentence-transformers, and `qa ask` stays torch-free.

Top-10 dense hits must be identical between backends on the seed questions (over the
sample article) and on 50 SQuAD dev questions over an index of three SQuAD articles built
here (always the same three: the input never depends on what else is on the machine).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import SHARED

from index.build.run import run_build
from index.embedding.embed import load_embedder
from index.locations import sample_dir
from index.models import Embedder
from index.store.snapshot import IndexSnapshot
from qa.library import Library

EVAL = SHARED / "eval"
ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"torch", "sentence_transformers"}


def _embedder(backend: str, cache: Path) -> Embedder:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QA_CACHE_DIR", str(cache))
        embedder = load_embedder(backend=backend)
        embedder.warm()
        return embedder


@pytest.fixture(scope="module")
def backends(session_cache: Path) -> tuple[Embedder, Embedder]:
    return _embedder("onnx", session_cache), _embedder("torch", session_cache)


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory, backends: tuple) -> Path:
    folder = tmp_path_factory.mktemp("seed-index")
    run_build(Library(folder, backends[0]).build([sample_dir()]))
    return folder


def _squad_index(tmp_path: Path, onnx: Embedder) -> Path:
    articles = tmp_path / "articles"
    articles.mkdir()
    for path in sorted((EVAL / "squad_dev_v1.1" / "articles").glob("*.txt"))[:3]:
        (articles / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    run_build(Library(tmp_path / "index", onnx).build([articles]))
    return tmp_path / "index"


def _top10(index_dir: Path, embedder: Embedder, questions: list[str]) -> list[list[int]]:
    snapshot = IndexSnapshot.open(index_dir, embedder.model_id)
    try:
        hits = snapshot.dense_search(embedder.encode(questions), 10)
        return [[chunk for chunk, _ in row] for row in hits]
    finally:
        snapshot.close()


def _questions(path: Path, articles: set[str] | None = None, count: int = 50) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if articles is None or r["article"] in articles]
    return [r["question"] for r in rows[:: max(1, len(rows) // count)][:count]]


def test_top10_identical_on_seed_questions(seed_index: Path, backends: tuple) -> None:
    questions = _questions(EVAL / "seed" / "questions.jsonl")
    assert questions
    onnx, torch = backends
    assert _top10(seed_index, onnx, questions) == _top10(seed_index, torch, questions)


def test_top10_identical_on_squad_questions(tmp_path: Path, backends: tuple) -> None:
    onnx, torch = backends
    index_dir = _squad_index(tmp_path, onnx)
    snapshot = IndexSnapshot.open(index_dir)
    articles = {Path(key).name for (key,) in snapshot._conn.execute("SELECT key FROM articles")}
    snapshot.close()
    questions = _questions(EVAL / "squad_dev_v1.1" / "questions.jsonl", articles)
    assert len(questions) >= 40
    assert _top10(index_dir, onnx, questions) == _top10(index_dir, torch, questions)


def test_qa_ask_imports_neither_torch_nor_sentence_transformers(seed_index: Path) -> None:
    code = (
        "import sys\n"
        "from qa.cli import main\n"
        f"code = main(['ask', 'What did Peskov say?', '--index', {str(seed_index)!r}])\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
        "sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    modules = set(result.stdout.split("MODULES", 1)[1].split())
    assert "onnxruntime" in modules  # the question really was encoded
    assert not modules & HEAVY
