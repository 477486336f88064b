"""A synthetic library of N passages written straight into the index format, for scale runs.

Why: embedding a million passages with the real model would take hours on 2 cores, and
what the scale benchmarks measure (FAISS, FTS5, SQLite lookups, loading) does not depend
on where the vectors came from. So text and vectors are generated:

- text: English-like sentences over a Zipf-distributed vocabulary whose head is real
  function words (dropped by the retriever like real stopwords) and whose tail is
  pronounceable made-up words, ~60 words per paragraph, 10 paragraphs per article;
- vectors: unit vectors around 2,000 "topic" directions (each article has one topic),
  the shape real sentence embeddings have (clusters, not uniform noise: uniform random
  vectors have no neighbours worth finding and no ANN index does well on them);
- questions: 4-6 content words of a target passage plus a vector near the passage's.

Each paragraph is one passage and has no sentence chunks, so vectors == passages (a real
library holds ~5 vectors per passage with its sentences). The folder is committed like a
build (`meta` names a vector file with its sha256, the model's real `model_id`), so
`qa ask --index DIR` works on it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.schema import connect, read_meta, write_meta  # noqa: E402
from index.vectors import build_vector_index, write_vector_file  # noqa: E402

GENERATOR_VERSION = "1"
DIM = 384
TOPICS = 2000
PARAGRAPHS_PER_ARTICLE = 10
FUNCTION_WORDS = (
    "the of and to a in is was that for on as with by he it at from his an were are which "
    "this be or has had not but its they their also one two new first been after who have "
    "would said more when there than into other all can some her these over most up out "
    "about during only between may such many while both city three years time state"
).split()
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
QUESTION_HEADS = ("What", "Who", "When", "Where", "Which", "How many", "Why")


@dataclass(frozen=True)
class SynthQuestion:
    """A question aimed at one passage: its text, its vector and the passage's chunk id."""

    text: str
    vector: np.ndarray
    chunk_id: int


def _vocabulary(rng: np.random.Generator, size: int = 40_000) -> list[str]:
    words = list(FUNCTION_WORDS)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 5))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _paragraphs(rng: np.random.Generator, words: list[str], count: int) -> list[str]:
    # Zipf(1.1) over the vocabulary: a few words everywhere, most words rare.
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    weights = ranks**-1.1
    weights /= weights.sum()
    lengths = rng.integers(40, 80, size=count)
    picks = rng.choice(len(words), size=int(lengths.sum()), p=weights)
    out = []
    at = 0
    vocab = np.array(words, dtype=object)
    for length in lengths:
        chunk = vocab[picks[at : at + length]]
        at += length
        sentences = np.array_split(chunk, max(1, length // 15))
        out.append(" ".join(" ".join(s).capitalize() + "." for s in sentences if len(s)))
    return out


def generate_library(
    index_dir: Path, passages: int, seed: int = 0, model_id: str | None = None
) -> dict[str, float]:
    """Write a committed synthetic index of `passages` passages; returns timings (s)."""
    from index.embed import load_embedder

    embedder = load_embedder()
    model_id = model_id or embedder.model_id
    rng = np.random.default_rng(seed)
    words = _vocabulary(rng)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    articles = (passages + PARAGRAPHS_PER_ARTICLE - 1) // PARAGRAPHS_PER_ARTICLE
    topics = _unit(rng.standard_normal((TOPICS, DIM)))
    article_topic = rng.integers(0, TOPICS, size=articles)

    index_dir.mkdir(parents=True, exist_ok=True)
    conn = connect(index_dir, create=True)
    conn.execute("PRAGMA synchronous = OFF")  # a crashed generation is simply redone
    conn.execute("BEGIN")
    conn.execute("INSERT OR IGNORE INTO sources (root, added_at) VALUES ('synthetic', 'now')")
    vectors = np.empty((passages, DIM), dtype=np.float32)
    chunk_id = 0
    for first in range(0, articles, 5000):
        last = min(articles, first + 5000)
        n_par = min(passages, last * PARAGRAPHS_PER_ARTICLE) - first * PARAGRAPHS_PER_ARTICLE
        texts = _paragraphs(rng, words, n_par)
        conn.executemany(
            "INSERT INTO articles (id, root, key, path, file_sha, file_size, file_mtime_ns, "
            "title, source, url, published, author, notes, indexed_at) "
            "VALUES (?, 'synthetic', ?, ?, '', 0, 0, ?, 'Synthetic News', NULL, ?, NULL, '', "
            "'now')",
            [
                (a + 1, f"a{a:07d}.txt", f"synthetic/a{a:07d}.txt", f"Article {a}", "2024-01-01")
                for a in range(first, last)
            ],
        )
        rows = []
        for offset, text in enumerate(texts):
            pid = first * PARAGRAPHS_PER_ARTICLE + offset
            rows.append((pid + 1, pid // PARAGRAPHS_PER_ARTICLE + 1, pid % 10, text))
        conn.executemany(
            "INSERT INTO paragraphs (id, article_id, ordinal, text, boilerplate) "
            "VALUES (?, ?, ?, ?, 0)",
            rows,
        )
        shas = [hashlib.sha256(t.encode()).hexdigest()[:32] for t in texts]
        ids = range(chunk_id + 1, chunk_id + 1 + len(texts))
        conn.executemany(
            "INSERT INTO chunks (id, paragraph_id, kind, start, end, text_sha) "
            "VALUES (?, ?, 'passage', 0, ?, ?)",
            [(i, r[0], len(r[3]), s) for i, r, s in zip(ids, rows, shas, strict=True)],
        )
        conn.executemany(
            "INSERT INTO passage_fts (rowid, text) VALUES (?, ?)",
            [(i, t) for i, t in zip(ids, texts, strict=True)],
        )
        centres = topics[np.repeat(article_topic[first:last], PARAGRAPHS_PER_ARTICLE)[:n_par]]
        noise = rng.standard_normal((n_par, DIM)).astype(np.float32) * (0.9 / DIM**0.5)
        block = _unit(centres + noise)
        vectors[chunk_id : chunk_id + n_par] = block
        conn.executemany(
            "INSERT OR IGNORE INTO embeddings (model_id, text_sha, vector) VALUES (?, ?, ?)",
            [(model_id, s, v.tobytes()) for s, v in zip(shas, block, strict=True)],
        )
        chunk_id += n_par
    timings["rows"] = time.perf_counter() - started
    mark = time.perf_counter()
    ids = np.arange(1, passages + 1, dtype=np.int64)
    index = build_vector_index(ids, vectors, DIM)
    timings["vector_index"] = time.perf_counter() - mark
    name, sha = write_vector_file(index, index_dir, 1)
    meta = {
        "generation": "1",
        "model_id": model_id,
        "model_path": embedder.model_path,
        "dim": str(DIM),
        "vector_file": name,
        "vector_sha256": sha,
        "vector_count": str(passages),
        "built_at": "synthetic",
        "articles": str(articles),
        "paragraphs": str(passages),
        "passages": str(passages),
        "sentences": "0",
        "synthetic": json.dumps({"passages": passages, "seed": seed, "v": GENERATOR_VERSION}),
    }
    write_meta(conn, meta)
    conn.execute("COMMIT")
    # FTS5 flushes its pending terms at COMMIT, so the digest is taken after it.
    conn.execute("BEGIN")
    _write_digest(conn)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    timings["total"] = time.perf_counter() - started
    return timings


def _write_digest(conn: sqlite3.Connection) -> None:
    """Record the database content digest if this checkout's store checks one on load."""
    from index import schema

    if hasattr(schema, "content_digest") and hasattr(schema, "DIGEST_KEY"):
        write_meta(conn, {schema.DIGEST_KEY: schema.content_digest(conn)})


def is_generated(index_dir: Path, passages: int, seed: int = 0) -> bool:
    """True when `index_dir` already holds this exact synthetic library, committed."""
    try:
        conn = sqlite3.connect(index_dir / "library.sqlite")
        try:
            meta = read_meta(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    want = json.dumps({"passages": passages, "seed": seed, "v": GENERATOR_VERSION})
    return meta.get("synthetic") == want and (index_dir / meta.get("vector_file", "-")).exists()


def sample_questions(index_dir: Path, count: int, seed: int = 1) -> list[SynthQuestion]:
    """Questions aimed at random passages: a few of their content words, a nearby vector."""
    from index.store import IndexSnapshot
    from qa.retrieve import STOPWORDS

    rng = np.random.default_rng(seed)
    snapshot = IndexSnapshot.open(index_dir)
    try:
        total = snapshot.vectors.ntotal
        targets = rng.choice(np.arange(1, total + 1), size=count, replace=False)
        records = snapshot.records([int(t) for t in targets])
        vectors = snapshot.vectors_of([int(t) for t in targets])
        questions = []
        for target, vector in zip(targets, vectors, strict=True):
            content = [
                w.strip(".").lower()
                for w in records[int(target)].text.split()
                if w.strip(".").lower() not in STOPWORDS
            ]
            picked = rng.choice(content, size=min(len(content), int(rng.integers(4, 7))))
            text = f"{rng.choice(QUESTION_HEADS)} {' '.join(picked)}?"
            noisy = vector + rng.standard_normal(DIM).astype(np.float32) * (0.8 / DIM**0.5)
            questions.append(SynthQuestion(text, _unit(noisy[None, :])[0], int(target)))
        return questions
    finally:
        snapshot.close()


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if is_generated(args.out, args.passages, args.seed):
        print(json.dumps({"reused": True}))
        return 0
    if (args.out / "library.sqlite").exists():
        raise SystemExit(f"{args.out} holds another library; remove it first")
    print(json.dumps(generate_library(args.out, args.passages, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
