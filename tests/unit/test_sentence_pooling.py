"""Sentence vectors pooled from their passage's pass, and the build's ETA by word pieces.

The real model throughout: what is checked is that pooled vectors still mean their
sentence (closer to the sentence read alone than to its neighbours), that a sentence
which is its whole passage shares the passage's vector, and that keys keep pooled and
separately encoded vectors apart.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from library_fixtures import embedder

from index.build.embed import embed_jobs
from index.embedding.pipeline import EmbeddingPipeline, EmbedJob
from index.models import Article, Paragraph
from index.sources.chunking import chunk_article, text_sha
from index.store.schema import connect

PARAGRAPH = (
    "The harbour bridge reopened on Monday after nine months of cable repairs. "
    "Engineers replaced every suspension cable on the northern span. "
    "A late frost destroyed most of the apricot blossoms in the valley orchards. "
    "The council approved a budget of twelve million euros for new schools."
)
ALONE = "The ferry to the island now runs twice a day in winter."


def article(*paragraphs: str) -> Article:
    return Article(
        "a.txt", "/a.txt", "A", tuple(Paragraph(i, text) for i, text in enumerate(paragraphs))
    )


def test_pooled_sentence_vectors_are_unit_and_closest_to_their_own_sentence() -> None:
    model = embedder()
    chunks = chunk_article(article(PARAGRAPH), model.count_tokens, model.max_tokens)
    sentences = [c for c in chunks if c.kind == "sentence"]
    assert len(sentences) == 4
    (job,) = embed_jobs(chunks)
    assert [key for key, _, _ in job.parts] == [s.text_sha for s in sentences]
    own, parts = model.encode_spans([job.text], [[(a, b) for _, a, b in job.parts]])
    pooled = parts[0]
    assert pooled.shape == (4, model.dim) and np.isfinite(pooled).all()
    np.testing.assert_allclose(np.linalg.norm(pooled, axis=1), 1.0, atol=1e-5)
    alone = model.encode([s.text for s in sentences])
    similarity = pooled @ alone.T
    # Each pooled vector is nearest its own sentence read alone, by a clear margin.
    assert (similarity.argmax(axis=1) == np.arange(4)).all()
    assert (np.diag(similarity) > 0.6).all()
    # ...and is not just the passage's vector again.
    assert (pooled @ own[0] < 0.95).all()


def test_a_one_sentence_passage_gives_its_sentence_the_passage_vector() -> None:
    model = embedder()
    chunks = chunk_article(article(ALONE), model.count_tokens, model.max_tokens)
    passage, sentence = chunks
    assert (passage.kind, sentence.kind) == ("passage", "sentence")
    assert sentence.text_sha == passage.text_sha  # one key: one vector, one model pass
    assert embed_jobs(chunks) == [EmbedJob(passage.text_sha, ALONE)]


def test_pooled_keys_follow_the_passage_not_just_the_sentence() -> None:
    model = embedder()
    first = chunk_article(article(PARAGRAPH), model.count_tokens, model.max_tokens)
    edited = PARAGRAPH.replace("nine months", "ten months")
    second = chunk_article(article(edited), model.count_tokens, model.max_tokens)
    last = [c for c in first if c.kind == "sentence"][-1]
    same = [c for c in second if c.kind == "sentence"][-1]
    assert last.text == same.text
    # The same sentence in an edited passage reads differently: a new key, a new vector.
    assert last.text_sha != same.text_sha
    # Never the key of the sentence encoded alone (what indexes before pooling cached).
    assert last.text_sha != text_sha(last.text)


def test_the_eta_counts_word_pieces_not_texts(tmp_path: Path) -> None:
    model = embedder()
    short = [f"Item {n} was filed." for n in range(300)]
    long = [" ".join([PARAGRAPH] * 3).replace("Monday", f"day {n}") for n in range(100)]
    conn = connect(tmp_path, create=True)
    jobs = [EmbedJob(text_sha(text), text) for text in short + long]
    with EmbeddingPipeline(conn, model, threading.Event(), reuse=False) as line:
        line.add(jobs)
        events = list(line.finish())
        assert line.tokens_done == line.tokens_submitted
        pieces = [min(count, model.max_tokens) + 2 for count in model.count_tokens(short + long)]
        assert line.tokens_done == sum(pieces)
    conn.close()
    # The short texts run first: once they are done, most texts are but most of the
    # work is not, and the ETA must say more than the texts left at the pace so far.
    first = next(p for p in events if p.done)
    assert first.done <= len(short) and first.eta_seconds is not None
    # The texts left at the pipeline's own pace (its clock, not ours: under load the
    # test's clock also counts the start-up). By pieces the work left is ~2.4x that.
    by_texts = (first.total - first.done) / first.rate
    assert first.eta_seconds > 1.3 * by_texts
    assert events[-1].eta_seconds == 0


def test_torch_pools_sentences_as_the_onnx_backend_does() -> None:
    from index.embedding.embed import load_embedder

    onnx, torch = embedder(), load_embedder(backend="torch")
    spans = [[(0, 73), (74, 137)]]
    onnx_own, onnx_parts = onnx.encode_spans([PARAGRAPH], spans)
    torch_own, torch_parts = torch.encode_spans([PARAGRAPH], spans)
    np.testing.assert_allclose(torch_own, onnx_own, atol=1e-4)
    np.testing.assert_allclose(torch_parts[0], onnx_parts[0], atol=1e-4)
