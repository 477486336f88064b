"""Find the passages that answer a question: dense (FAISS) and lexical (FTS5) evidence, fused.

Every candidate passage is scored on three signals: its own vector, the best of its
sentences' vectors (questions usually target one sentence), and BM25. The signals are
fused into one ranking; boilerplate is demoted and identical passages collapse into one
hit that cites every place holding them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.store import ChunkRecord, IndexSnapshot

RRF_K = 60
BOILERPLATE_FACTOR = 0.5
STOPWORDS = frozenset(
    "a an and are as at be by did do does for from had has have he her his how i in is it its "
    "of on or she that the their them they this to was were what when where which who whom "
    "why will with would you your".split()
)
MODES = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some articles; None means no restriction."""

    article: str | None = None
    """Substring of the article key or title (case-insensitive)."""
    source: str | None = None
    """Substring of the source name (case-insensitive)."""
    since: str | None = None
    """ISO date; articles published on or after it."""
    until: str | None = None
    """ISO date; articles published on or before it."""

    def is_empty(self) -> bool:
        return not (self.article or self.source or self.since or self.until)

    def sql(self) -> tuple[str, tuple[str, ...]]:
        """A WHERE condition over `a` (articles) and its parameters."""
        terms: list[str] = []
        params: list[str] = []
        if self.article:
            terms.append("(lower(a.key) LIKE ? OR lower(a.title) LIKE ?)")
            params += [f"%{self.article.lower()}%"] * 2
        if self.source:
            terms.append("lower(coalesce(a.source, '')) LIKE ?")
            params.append(f"%{self.source.lower()}%")
        if self.since:
            terms.append("a.published >= ?")
            params.append(self.since)
        if self.until:
            terms.append("a.published <= ?")
            params.append(self.until + "\uffff")
        return " AND ".join(terms) or "1", tuple(params)


@dataclass(frozen=True)
class ScoredPassage:
    record: ChunkRecord
    score: float
    dense: float
    """Best of the passage's own and its sentences' cosine similarity."""
    lexical: float
    """BM25 score, 0 when the passage was not among the lexical candidates."""
    sentences: tuple[tuple[ChunkRecord, float], ...]
    """The passage's sentences with their cosine similarity to the question."""


def fts_query(question: str) -> str:
    """An FTS5 MATCH expression: any of the question's content words, each quoted."""
    words = [w for w in re.findall(r"\w+", question.lower()) if w not in STOPWORDS]
    if not words:
        words = re.findall(r"\w+", question.lower())
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def rank_passages(
    snapshot: IndexSnapshot,
    question: str,
    query_vector: np.ndarray,
    *,
    k: int,
    mode: str = "hybrid",
    filters: Filters | None = None,
    candidates: int = 100,
) -> list[ScoredPassage]:
    """The top `k` passages for a question whose embedding is `query_vector`."""
    filters = filters or Filters()
    allowed = None
    lexical_sql, lexical_params = "", ()
    if not filters.is_empty():
        where, params = filters.sql()
        allowed = snapshot.chunk_ids_where(where, params)
        if not len(allowed):
            return []
        lexical_sql = (
            "AND rowid IN (SELECT c.id FROM chunks c JOIN paragraphs p ON p.id = c.paragraph_id "
            f"JOIN articles a ON a.id = p.article_id WHERE {where})"
        )
        lexical_params = params

    dense_hits = []
    if mode != "bm25":
        dense_hits = snapshot.dense_search(query_vector[None, :], candidates * 2, allowed)[0]
    lexical_hits = []
    if mode != "dense":
        lexical_hits = snapshot.lexical_search(
            fts_query(question), candidates, lexical_sql, lexical_params
        )

    hit_records = snapshot.records([i for i, _ in dense_hits] + [i for i, _ in lexical_hits])
    paragraph_ids = list(dict.fromkeys(r.paragraph_id for r in hit_records.values()))
    passages = snapshot.chunks_of(paragraph_ids, "passage")
    sentences = snapshot.chunks_of(paragraph_ids, "sentence")

    all_passages = [p for pid in paragraph_ids for p in passages[pid]]
    all_sentences = [s for pid in paragraph_ids for s in sentences[pid]]
    cosine = _cosines(snapshot, query_vector, all_passages + all_sentences)
    lexical = dict(lexical_hits)
    if mode == "bm25":
        all_passages = [p for p in all_passages if p.chunk_id in lexical]

    scored: list[ScoredPassage] = []
    for passage in all_passages:
        inside = tuple(
            (s, cosine[s.chunk_id])
            for s in sentences[passage.paragraph_id]
            if s.start >= passage.start and s.end <= passage.end
        )
        best_sentence = max((c for _, c in inside), default=-1.0)
        dense = max(cosine[passage.chunk_id], best_sentence)
        scored.append(
            ScoredPassage(passage, 0.0, dense, lexical.get(passage.chunk_id, 0.0), inside)
        )
    return _fuse(scored, mode)[:k]


def _cosines(
    snapshot: IndexSnapshot, query_vector: np.ndarray, records: list[ChunkRecord]
) -> dict[int, float]:
    ids = list(dict.fromkeys(r.chunk_id for r in records))
    vectors = snapshot.vectors_of(ids)
    return dict(zip(ids, (vectors @ query_vector).tolist(), strict=True))


def _fuse(scored: list[ScoredPassage], mode: str) -> list[ScoredPassage]:
    """Reciprocal rank fusion of the dense and lexical rankings, boilerplate demoted."""
    dense_rank = _ranks(scored, lambda s: s.dense)
    lexical_rank = _ranks([s for s in scored if s.lexical > 0], lambda s: s.lexical)
    fused = []
    for item in scored:
        key = item.record.chunk_id
        score = 0.0
        if mode != "bm25":
            score += 1.0 / (RRF_K + dense_rank[key])
        if mode != "dense" and key in lexical_rank:
            score += 1.0 / (RRF_K + lexical_rank[key])
        if item.record.boilerplate:
            score *= BOILERPLATE_FACTOR
        fused.append(ScoredPassage(item.record, score, item.dense, item.lexical, item.sentences))
    fused.sort(key=lambda s: s.score, reverse=True)
    return fused


def _ranks(items: list[ScoredPassage], key: object) -> dict[int, int]:
    ordered = sorted(items, key=key, reverse=True)  # type: ignore[arg-type]
    return {item.record.chunk_id: rank for rank, item in enumerate(ordered, start=1)}
