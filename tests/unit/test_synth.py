"""bench/synth.py writes a committed index that the real reader, verifier and `qa ask` accept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import synth  # noqa: E402

from index.store.snapshot import IndexSnapshot  # noqa: E402
from index.store.verify import verify_index  # noqa: E402


@pytest.mark.parametrize("ann_min", ["1000000", "500"])
def test_synthetic_library_is_a_sound_committed_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ann_min: str
) -> None:
    monkeypatch.setenv("QA_ANN_MIN_VECTORS", ann_min)  # flat, then HNSW
    target = tmp_path / "synth"
    synth.generate_library(target, 2_003)
    assert synth.is_generated(target, 2_003)
    assert not synth.is_generated(target, 2_004)
    assert sorted(p.name for p in target.iterdir()) == ["library.sqlite", "vectors-1.faiss"]
    assert not list(tmp_path.glob(".synth.*")), "the temporary folder was left behind"
    assert verify_index(target) == []

    snapshot = IndexSnapshot.open(target)
    try:
        info = snapshot.info()
        assert (info.articles, info.passages, snapshot.vectors.ntotal) == (201, 2_003, 2_003)
        assert snapshot.vector_kind == ("hnsw" if ann_min == "500" else "flat")
    finally:
        snapshot.close()

    # Questions made from a passage's own words find that passage.
    questions = synth.sample_questions(target, 20)
    snapshot = IndexSnapshot.open(target)
    try:
        found = [
            q.chunk_id in {i for i, _ in snapshot.dense_search(q.vector[None, :], 10)[0]}
            for q in questions
        ]
    finally:
        snapshot.close()
    assert sum(found) >= 18

    text = questions[0].text.rstrip("?").split(" ", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "qa", "ask", text, "--index", str(target), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"hits"' in result.stdout


def test_paragraphs_are_sentences_of_vocabulary_words() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    words = synth._vocabulary(rng, size=2_000)
    assert len(set(words)) == 2_000
    paragraphs = synth._Paragraphs(words).make(rng, 50)
    assert len(paragraphs) == 50
    vocabulary = set(words)
    for paragraph in paragraphs:
        assert "\n" not in paragraph and paragraph.endswith(".")
        assert 40 <= len(paragraph.split()) < 80
        for sentence in paragraph[:-1].split(". "):
            assert sentence[0].isupper()
            assert all(w.lower() in vocabulary for w in sentence.split())
