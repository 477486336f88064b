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
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.store.schema import connect, read_meta, write_meta  # noqa: E402
from index.store.vectors import build_vector_index, fsync_dir, write_vector_file  # noqa: E402

GENERATOR_VERSION = "3"
"""3: HNSW M=32/efConstruction=80 (index/vectors.py)."""
DIM = 384
TOPICS = 2000
PARAGRAPHS_PER_ARTICLE = 10
BLOCK_PASSAGES = 50_000
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
    # Drawn in bulk and de-duplicated, not one rng call per word (which took seconds).
    words = list(FUNCTION_WORDS)
    seen = set(words)
    syllables = np.array(SYLLABLES, dtype=object)
    while len(words) < size:
        lengths = rng.integers(2, 5, size=size)
        parts = syllables[rng.integers(0, len(SYLLABLES), size=(size, 4))]
        for length, row in zip(lengths.tolist(), parts.tolist(), strict=True):
            word = "".join(row[:length])
            if word not in seen:
                seen.add(word)
                words.append(word)
                if len(words) == size:
                    break
    return words


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


class _Paragraphs:
    """English-like paragraphs, made a block at a time with numpy and one `str.join`.

    Every word is drawn at once; its form (plain, capitalised to open a sentence, with a
    period to close one, with a newline to close the paragraph) is computed as an array,
    the forms are joined into one string and split at the newlines. A Python loop per
    paragraph or per sentence made 1M paragraphs take minutes.
    """

    def __init__(self, words: list[str]) -> None:
        # Zipf(1.1) over the vocabulary: a few words everywhere, most words rare.
        ranks = np.arange(1, len(words) + 1, dtype=np.float64)
        weights = ranks**-1.1
        self.cdf = np.cumsum(weights / weights.sum())
        forms = []
        for word in words:
            capital = word.capitalize()
            forms += [word, capital, word + ".", capital + ".", word + ".\n"]
        self.forms = np.array(forms, dtype=object)

    def make(
        self, rng: np.random.Generator, count: int, words: tuple[int, int] = (40, 80)
    ) -> list[str]:
        lengths = rng.integers(*words, size=count)
        total = int(lengths.sum())
        picks = np.searchsorted(self.cdf, rng.random(total), side="right")
        picks = np.minimum(picks, len(self.cdf) - 1)
        starts = np.cumsum(lengths) - lengths
        length_of = np.repeat(lengths, lengths)
        offset = np.arange(total) - np.repeat(starts, lengths)
        # ~15-word sentences of near-equal size, as many as fit (at least 2: 40+ words).
        sentences = np.repeat(np.maximum(1, lengths // 15), lengths)
        sentence = offset * sentences // length_of
        first = np.ones(total, dtype=bool)
        first[1:] = sentence[1:] != sentence[:-1]
        last = np.ones(total, dtype=bool)
        last[:-1] = sentence[:-1] != sentence[1:]
        form = first.astype(np.int64) + 2 * last
        form[offset == length_of - 1] = 4  # sentences have 13+ words: never also first
        text = " ".join(self.forms[picks * 5 + form].tolist())
        return text[:-1].split("\n ")


def _vectors(
    rng: np.random.Generator, topics: np.ndarray, article_topic: np.ndarray, passages: int
) -> np.ndarray:
    """Unit vectors near each passage's article topic, made in blocks to bound memory."""
    vectors = np.empty((passages, DIM), dtype=np.float32)
    per_passage = np.repeat(article_topic, PARAGRAPHS_PER_ARTICLE)[:passages]
    for start in range(0, passages, BLOCK_PASSAGES):
        end = min(passages, start + BLOCK_PASSAGES)
        noise = rng.standard_normal((end - start, DIM), dtype=np.float32) * (0.9 / DIM**0.5)
        vectors[start:end] = _unit(topics[per_passage[start:end]] + noise)
    return vectors


def generate_library(
    index_dir: Path,
    passages: int,
    seed: int = 0,
    model_id: str | None = None,
    key_prefix: str = "",
    library_seed: int | None = None,
) -> dict[str, float]:
    """Write a committed synthetic index of `passages` passages; returns timings (s).

    Built in a sibling temporary folder renamed into place at the end, so a killed run
    never leaves a half library where `is_generated` or `qa ask` would find it. The HNSW
    graph (most of the time at 1M) is built on a thread while the rows are written:
    FAISS runs without the GIL, so the two overlap. `key_prefix` starts every article
    key, so the shards of one library (bench/fanout.py) hold distinct articles;
    `library_seed`, when given, draws the vocabulary and topic directions, which the
    shards of one library share (one language, one embedding space), and `seed` only
    the rest (a library of seed 0 has those of `library_seed=0`).
    """
    from index.embedding.embed import load_embedder

    embedder = load_embedder()
    model_id = model_id or embedder.model_id
    rng = np.random.default_rng(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    articles = (passages + PARAGRAPHS_PER_ARTICLE - 1) // PARAGRAPHS_PER_ARTICLE
    shared = rng if library_seed is None else np.random.default_rng(library_seed)
    topics = _unit(shared.standard_normal((TOPICS, DIM)))
    article_topic = rng.integers(0, TOPICS, size=articles)
    vectors = _vectors(rng, topics, article_topic, passages)
    ids = np.arange(1, passages + 1, dtype=np.int64)
    graph: dict[str, object] = {}

    def build_graph() -> None:
        mark = time.perf_counter()
        try:
            graph["index"] = build_vector_index(ids, vectors, DIM)
        except BaseException as error:  # noqa: BLE001 - re-raised below
            graph["error"] = error
        timings["vector_index"] = time.perf_counter() - mark

    builder = threading.Thread(target=build_graph, name="hnsw", daemon=True)
    builder.start()

    index_dir = index_dir.absolute()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.", dir=index_dir.parent))
    work.chmod(0o755)  # mkdtemp's 0700 would outlive the rename
    try:
        text_rng = np.random.default_rng([seed, 1])
        words = _vocabulary(
            text_rng if library_seed is None else np.random.default_rng([library_seed, 1])
        )
        conn = connect(work, create=True)
        _write_rows(
            conn, _Paragraphs(words), text_rng, vectors, articles, passages, model_id, key_prefix
        )
        timings["rows"] = time.perf_counter() - started
        builder.join()
        if "error" in graph:
            raise graph["error"]  # type: ignore[misc]
        name, sha = write_vector_file(graph["index"], work, 1)  # type: ignore[arg-type]
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
            "synthetic": _identity(passages, seed, key_prefix, library_seed),
        }
        conn.execute("BEGIN")
        write_meta(conn, meta)
        conn.execute("COMMIT")
        # FTS5 flushes its pending terms at COMMIT, so the digest is taken after it.
        mark = time.perf_counter()
        conn.execute("BEGIN")
        _write_digest(conn)
        conn.execute("COMMIT")
        timings["digest"] = time.perf_counter() - mark
        # Back to the format every index has: WAL, no journal left beside it.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()
        fsync_dir(work)
        if index_dir.exists():
            index_dir.rmdir()  # only an empty folder: `main` refuses one holding a library
        os.rename(work, index_dir)
        fsync_dir(index_dir.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    timings["total"] = time.perf_counter() - started
    return timings


def _write_rows(
    conn: sqlite3.Connection,
    paragraphs: _Paragraphs,
    rng: np.random.Generator,
    vectors: np.ndarray,
    articles: int,
    passages: int,
    model_id: str,
    key_prefix: str = "",
) -> None:
    """All rows but `meta`, in one transaction without a journal.

    The folder is temporary until renamed into place, so a crash only loses the run: no
    rollback journal, no fsync, a large page cache for the b-trees that grow in random
    key order (the embeddings' primary key is a hash).
    """
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("BEGIN")
    conn.execute("INSERT OR IGNORE INTO sources (root, added_at) VALUES ('synthetic', 'now')")
    per_article = PARAGRAPHS_PER_ARTICLE
    per_block = BLOCK_PASSAGES // per_article
    for first in range(0, articles, per_block):
        last = min(articles, first + per_block)
        start = first * PARAGRAPHS_PER_ARTICLE
        end = min(passages, last * PARAGRAPHS_PER_ARTICLE)
        texts = paragraphs.make(rng, end - start)
        conn.executemany(
            "INSERT INTO articles (id, root, key, path, file_sha, file_size, file_mtime_ns, "
            "title, source, url, published, author, notes, indexed_at) "
            "VALUES (?, 'synthetic', ?, ?, '', 0, 0, ?, 'Synthetic News', NULL, "
            "'2024-01-01', NULL, '', 'now')",
            [
                (
                    a + 1,
                    f"{key_prefix}a{a:07d}.txt",
                    f"synthetic/{key_prefix}a{a:07d}.txt",
                    f"Article {key_prefix}{a}",
                )
                for a in range(first, last)
            ],
        )
        pids = range(start + 1, end + 1)
        conn.executemany(
            "INSERT INTO paragraphs (id, article_id, ordinal, text, boilerplate) "
            "VALUES (?, ?, ?, ?, 0)",
            [
                (
                    pid,
                    (pid - 1) // PARAGRAPHS_PER_ARTICLE + 1,
                    (pid - 1) % PARAGRAPHS_PER_ARTICLE,
                    t,
                )
                for pid, t in zip(pids, texts, strict=True)
            ],
        )
        shas = [hashlib.sha256(t.encode()).hexdigest()[:32] for t in texts]
        # One passage per paragraph, with the paragraph's id.
        conn.executemany(
            "INSERT INTO chunks (id, paragraph_id, kind, start, end, text_sha) "
            "VALUES (?, ?, 'passage', 0, ?, ?)",
            [(pid, pid, len(t), s) for pid, t, s in zip(pids, texts, shas, strict=True)],
        )
        conn.executemany(
            "INSERT INTO passage_fts (rowid, text) VALUES (?, ?)", zip(pids, texts, strict=True)
        )
        block = vectors[start:end]
        # In key order, so the primary-key b-tree is appended to rather than split at random.
        cached = sorted(zip(shas, range(len(shas)), strict=True))
        conn.executemany(
            "INSERT OR IGNORE INTO embeddings (model_id, text_sha, vector) VALUES (?, ?, ?)",
            [(model_id, s, block[i].tobytes()) for s, i in cached],
        )
    conn.execute("COMMIT")


def _write_digest(conn: sqlite3.Connection) -> None:
    """Record the database content digest if this checkout's store checks one on load."""
    from index.store import schema

    if hasattr(schema, "write_digest"):  # format 2 (index.store.digest): sums per table
        from index.store.digest import FORMAT, FORMAT_KEY, content_parts

        write_meta(conn, {FORMAT_KEY: FORMAT})
        schema.write_digest(conn, content_parts(conn))
    elif hasattr(schema, "content_digest") and hasattr(schema, "DIGEST_KEY"):
        write_meta(conn, {schema.DIGEST_KEY: schema.content_digest(conn)})


def _identity(passages: int, seed: int, key_prefix: str, library_seed: int | None) -> str:
    """What `meta` records of a synthetic library (the shard options only when given, so
    libraries made before they were options are still recognised)."""
    made: dict[str, object] = {"passages": passages, "seed": seed, "v": GENERATOR_VERSION}
    if key_prefix:
        made["keys"] = key_prefix
    if library_seed is not None:
        made["library_seed"] = library_seed
    return json.dumps(made)


def is_generated(
    index_dir: Path,
    passages: int,
    seed: int = 0,
    key_prefix: str = "",
    library_seed: int | None = None,
) -> bool:
    """True when `index_dir` already holds this exact synthetic library, committed."""
    try:
        conn = sqlite3.connect(index_dir / "library.sqlite")
        try:
            meta = read_meta(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return (
        meta.get("synthetic") == _identity(passages, seed, key_prefix, library_seed)
        and (index_dir / meta.get("vector_file", "-")).exists()
    )


def sample_questions(index_dir: Path, count: int, seed: int = 1) -> list[SynthQuestion]:
    """Questions aimed at random passages: a few of their content words, a nearby vector."""
    from index.store.snapshot import IndexSnapshot
    from qa.retrieve import STOPWORDS

    rng = np.random.default_rng(seed)
    snapshot = IndexSnapshot.open(index_dir)
    try:
        total = snapshot.vectors.ntotal
        targets = rng.choice(np.arange(1, total + 1), size=count, replace=False)
        texts = _chunk_texts(index_dir, [int(t) for t in targets])
        vectors = snapshot.vectors_of([int(t) for t in targets])
        questions = []
        for target, vector in zip(targets, vectors, strict=True):
            content = [
                w.strip(".").lower()
                for w in texts[int(target)].split()
                if w.strip(".").lower() not in STOPWORDS
            ]
            picked = rng.choice(content, size=min(len(content), int(rng.integers(4, 7))))
            text = f"{rng.choice(QUESTION_HEADS)} {' '.join(picked)}?"
            noisy = vector + rng.standard_normal(DIM).astype(np.float32) * (0.8 / DIM**0.5)
            questions.append(SynthQuestion(text, _unit(noisy[None, :])[0], int(target)))
        return questions
    finally:
        snapshot.close()


def _chunk_texts(index_dir: Path, chunk_ids: list[int]) -> dict[int, str]:
    """The text of some chunks, read straight from the database (the store has no such call)."""
    conn = sqlite3.connect(f"file:{index_dir / 'library.sqlite'}?mode=ro", uri=True)
    try:
        marks = ",".join("?" * len(chunk_ids))
        rows = conn.execute(
            "SELECT c.id, substr(p.text, c.start + 1, c.end - c.start) FROM chunks c "
            f"JOIN paragraphs p ON p.id = c.paragraph_id WHERE c.id IN ({marks})",
            chunk_ids,
        )
        return {int(i): text for i, text in rows}
    finally:
        conn.close()


def write_abstracts(folder: Path, count: int, vocabulary: list[str], seed: int = 0) -> None:
    """`count` one-paragraph articles of ~200 words (a SciFact-sized library at 5,000).

    Words come from `vocabulary`, most frequent first (real words tokenise like real
    text: made-up ones cost the model ~2x the word pieces); every abstract is new text,
    so no passage or sentence is shared and nothing is embedded once for two.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number, body in enumerate(_Paragraphs(vocabulary).make(rng, count, (170, 230))):
        (folder / f"abstract-{number:05d}.txt").write_text(
            f"Title: Abstract {number}\n\n{body}\n", encoding="utf-8"
        )


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
