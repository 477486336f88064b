"""What BM25 needs of one store to score its passages with another collection's statistics.

FTS5's `bm25()` uses the statistics of its own table (row count, average length, rows
holding each phrase): the shards of one library each rank with their own. To rank as
one store would, a fan-out scores every passage holding a question phrase again, with
the library's statistics (`index.shards.bm25`). For that it needs, per store:

- `fts_totals`: rows and tokens of the FTS5 table, from its averages record (FTS5 keeps
  it in `passage_fts_data`, row 1: a varint row count, then one varint token total per
  column; the table has one column);
- `phrase_postings`: for each phrase, the passages holding it with the phrase's count in
  each (its term frequency), and every such passage's token count (`passage_fts_docsize`,
  one varint per column).

The term frequency is not stored where SQL can read it by phrase, so it is recovered
from FTS5's own single-phrase score: with one phrase, bm25 = idf * f * (k1 + 1) /
(f + k1 * (1 - b + b * len / avglen)), every factor but f known, solved for f and
rounded (it is a whole count). Phrases are FTS5's own: stemming and tokenising stay
SQLite's, never reimplemented.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field

from index.store.filters import ArticleFilter
from index.store.queries import CHUNKS_OF_ARTICLES, article_condition

K1 = 1.2
B = 0.75
"""FTS5's bm25() constants (not configurable from SQL)."""
IDF_FLOOR = 1e-6
"""FTS5's idf for a phrase in half the rows or more."""


@dataclass
class PhrasePostings:
    """Per phrase (in the order asked): passages (store ids) kept by the filter -> count."""

    counts: list[dict[int, int]] = field(default_factory=list)
    holding: list[int] = field(default_factory=list)
    """Rows holding each phrase in the whole store (BM25's document frequency)."""
    lengths: dict[int, int] = field(default_factory=dict)
    """Tokens of each passage in `counts`."""


def _varints(blob: bytes) -> list[int]:
    """SQLite's varints (as FTS5 writes them: 7 bits a byte, high bit set to go on)."""
    out: list[int] = []
    value = 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            out.append(value)
            value = 0
    return out


def fts_totals(conn: sqlite3.Connection) -> tuple[int, int]:
    """(rows, tokens) of the passage FTS5 table."""
    row = conn.execute("SELECT block FROM passage_fts_data WHERE id = 1").fetchone()
    if row is None or not row[0]:
        return 0, 0
    values = _varints(bytes(row[0]))
    return values[0], sum(values[1:])


def bm25_idf(rows: int, holding: int) -> float:
    """FTS5's idf of a phrase held by `holding` of `rows` rows."""
    value = math.log((rows - holding + 0.5) / (holding + 0.5)) if rows else 0.0
    return value if value > 0.0 else IDF_FLOOR


def length_factor(length: int, average_length: float) -> float:
    """BM25's K = k1 * (1 - b + b * len / avglen) for a passage of `length` tokens."""
    return K1 * (1.0 - B + B * length / average_length) if average_length else K1


def phrase_postings(
    conn: sqlite3.Connection, phrases: list[str], where: ArticleFilter | None, base: int
) -> PhrasePostings:
    """Passages holding each FTS5 phrase (a quoted MATCH string), with the phrase's counts.

    Ids are row ids plus `base` (`index.store.keys`). Only passages of `where`'s articles
    are returned, but `holding` counts all rows, as FTS5's own idf does.
    """
    rows, tokens = fts_totals(conn)
    average = tokens / rows if rows else 0.0
    allowed: set[int] | None = None
    if where is not None and not where.is_empty():
        condition, params = article_condition(where)
        allowed = {r for (r,) in conn.execute(CHUNKS_OF_ARTICLES + condition, params)}
    out = PhrasePostings()
    scored: list[list[tuple[int, float]]] = []
    lengths: dict[int, int] = {}
    for phrase in phrases:
        # Each row's token count comes with it, looked up by SQLite beside the match:
        # a second query by id list cost as much as the match itself.
        found = conn.execute(
            "SELECT f.rowid, -bm25(passage_fts), d.sz FROM passage_fts f "
            "JOIN passage_fts_docsize d ON d.id = f.rowid WHERE passage_fts MATCH ?",
            (phrase,),
        ).fetchall()
        out.holding.append(len(found))
        if allowed is not None:
            found = [row for row in found if row[0] in allowed]
        for rowid, _, size in found:
            if rowid not in lengths:
                lengths[rowid] = _token_count(size)
        scored.append([(rowid, score) for rowid, score, _ in found])
    for found, holding in zip(scored, out.holding, strict=True):
        idf = bm25_idf(rows, holding)
        counts = {}
        for rowid, score in found:
            k = length_factor(lengths[rowid], average)
            # score = idf * f (k1 + 1) / (f + k)  =>  f = g k / (k1 + 1 - g), g = score / idf
            g = min(score / idf, K1 + 1.0 - 1e-12)
            counts[rowid + base] = max(1, round(g * k / (K1 + 1.0 - g)))
        out.counts.append(counts)
    out.lengths = {rowid + base: length for rowid, length in lengths.items()}
    return out


def _token_count(size: bytes) -> int:
    """Tokens of one FTS5 row from its docsize record (one varint per column)."""
    if len(size) == 1:
        return size[0]  # under 128 tokens, most passages: the varint is the byte
    return sum(_varints(bytes(size)))


def global_bm25(parts: list[PhrasePostings], rows: int, tokens: int) -> dict[int, float]:
    """BM25 (higher is better, as `lexical_search` answers) of every passage the stores'
    postings hold, with the collection statistics of all of them together: FTS5's
    formula, so that scores equal those of one store holding every passage."""
    average = tokens / rows if rows else 0.0
    scores: dict[int, float] = {}
    phrases = len(parts[0].counts) if parts else 0
    for phrase in range(phrases):
        idf = bm25_idf(rows, sum(p.holding[phrase] for p in parts))
        for part in parts:
            for some_id, count in part.counts[phrase].items():
                k = length_factor(part.lengths[some_id], average)
                score = idf * (count * (K1 + 1.0)) / (count + k)
                scores[some_id] = scores.get(some_id, 0.0) + score
    return scores
