"""Find the passages that answer a question: dense (FAISS) and lexical (FTS5) evidence, fused.

Candidates are the paragraphs hit by either retriever. Each candidate passage gets four
features: BM25, the cosine of its own vector, the cosine of its best sentence (questions
usually target one sentence), and the share of the question's rare words found in its
best sentence. `qa.scoring.fuse` turns them into one score (why not RRF: see there);
boilerplate is demoted, and `qa.library` collapses identical passages into one hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.store import ChunkRecord, IndexSnapshot
from qa.scoring import (
    DEFAULT_WEIGHTS,
    HIGHLIGHT_COVERAGE,
    STOPWORDS,
    FusionWeights,
    coverage,
    fuse_candidates,
    idf,
    sentence_scores,
    terms,
)

MODES = ("hybrid", "dense", "bm25")
DENSE_CANDIDATES = 200
LEXICAL_CANDIDATES = 100


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
        conditions: list[str] = []
        params: list[str] = []
        if self.article:
            conditions.append("(lower(a.key) LIKE ? OR lower(a.title) LIKE ?)")
            params += [f"%{self.article.lower()}%"] * 2
        if self.source:
            conditions.append("lower(coalesce(a.source, '')) LIKE ?")
            params.append(f"%{self.source.lower()}%")
        if self.since:
            conditions.append("a.published >= ?")
            params.append(self.since)
        if self.until:
            conditions.append("a.published <= ?")
            params.append(self.until + "\uffff")
        return " AND ".join(conditions) or "1", tuple(params)


@dataclass(frozen=True)
class ScoredSentence:
    record: ChunkRecord
    cosine: float
    coverage: float
    """Share of the question's IDF mass found in the sentence."""
    score: float
    """How well it answers: cosine plus weighted coverage (picks the highlight)."""


@dataclass(frozen=True)
class ScoredPassage:
    record: ChunkRecord
    score: float
    """Fused score; comparable within one question only."""
    passage_cos: float
    sentence_cos: float
    """Cosine of the question with the best of the passage's sentences."""
    coverage: float
    """Best share of the question's IDF mass found in one of the passage's sentences."""
    lexical: float
    """BM25 score, 0 when the passage was not among the lexical candidates."""
    sentences: tuple[ScoredSentence, ...]
    """The passage's sentences, in text order."""

    @property
    def dense(self) -> float:
        return max(self.passage_cos, self.sentence_cos)


def fts_query(question: str) -> str:
    """An FTS5 MATCH expression: any of the question's content words, each quoted."""
    words = [w for w in re.findall(r"\w+", question.lower()) if w not in STOPWORDS]
    if not words:
        words = re.findall(r"\w+", question.lower())
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def question_idf(snapshot: IndexSnapshot, question: str) -> dict[str, float]:
    """IDF of each content term of the question, from the library's passage counts.

    A term the library never holds gets the highest IDF: a question about something
    absent should look poorly covered (it feeds the confidence signal).
    """
    documents = max(1, int(snapshot.meta.get("passages", 1)))
    weights: dict[str, float] = {}
    for word in dict.fromkeys(re.findall(r"\w+", question.lower())):
        stems = terms(word)
        if not stems or stems[0] in weights:
            continue
        weights[stems[0]] = idf(snapshot.document_frequency(word), documents)
    return weights


def rank_passages(
    snapshot: IndexSnapshot,
    question: str,
    query_vector: np.ndarray,
    *,
    k: int,
    mode: str = "hybrid",
    filters: Filters | None = None,
    weights: FusionWeights = DEFAULT_WEIGHTS,
) -> list[ScoredPassage]:
    """The top `k` passages for a question whose embedding is `query_vector`."""
    scored = candidate_passages(snapshot, question, query_vector, mode=mode, filters=filters)
    if not scored:
        return []
    if mode == "dense":
        weights = FusionWeights(lexical=0.0, passage=0.5, sentence=1.0, coverage=0.0)
    elif mode == "bm25":
        weights = FusionWeights(lexical=1.0, passage=0.0, sentence=0.0, coverage=0.0)
    fused = fuse_candidates(scored, weights)
    order = np.argsort(-fused, kind="stable")[:k]
    return [_with_score(scored[i], float(fused[i])) for i in order]


def candidate_passages(
    snapshot: IndexSnapshot,
    question: str,
    query_vector: np.ndarray,
    *,
    mode: str = "hybrid",
    filters: Filters | None = None,
) -> list[ScoredPassage]:
    """Every passage of the paragraphs either retriever hits, with its features, unfused.

    Whole paragraphs are taken (not only the hit chunk) so that a paragraph found by one
    sentence is scored on all its passages and sentences.
    """
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
        dense_hits = snapshot.dense_search(query_vector[None, :], DENSE_CANDIDATES, allowed)[0]
    lexical_hits = snapshot.lexical_search(
        fts_query(question), LEXICAL_CANDIDATES, lexical_sql, lexical_params
    )
    hit_records = snapshot.records([i for i, _ in dense_hits] + [i for i, _ in lexical_hits])
    paragraph_ids = list(dict.fromkeys(r.paragraph_id for r in hit_records.values()))
    passages = [p for ps in snapshot.chunks_of(paragraph_ids, "passage").values() for p in ps]
    sentences = snapshot.chunks_of(paragraph_ids, "sentence")
    lexical = dict(lexical_hits)
    if mode == "bm25":
        passages = [p for p in passages if p.chunk_id in lexical]
    if not passages:
        return []
    all_sentences = [s for pid in paragraph_ids for s in sentences[pid]]
    cosine = _cosines(snapshot, query_vector, passages + all_sentences)
    term_idf = question_idf(snapshot, question)
    return [
        _score_passage(p, sentences[p.paragraph_id], cosine, term_idf, lexical.get(p.chunk_id, 0))
        for p in passages
    ]


def _score_passage(
    passage: ChunkRecord,
    paragraph_sentences: list[ChunkRecord],
    cosine: dict[int, float],
    term_idf: dict[str, float],
    bm25: float,
) -> ScoredPassage:
    inside = []
    for s in paragraph_sentences:
        if s.start >= passage.start and s.end <= passage.end:
            cos, cov = cosine[s.chunk_id], coverage(term_idf, s.text)
            score = float(sentence_scores(np.array([cos]), np.array([cov]), HIGHLIGHT_COVERAGE)[0])
            inside.append(ScoredSentence(s, cos, cov, score))
    passage_cos = cosine[passage.chunk_id]
    return ScoredPassage(
        record=passage,
        score=0.0,
        passage_cos=passage_cos,
        sentence_cos=max((s.cosine for s in inside), default=passage_cos),
        coverage=max((s.coverage for s in inside), default=coverage(term_idf, passage.text)),
        lexical=float(bm25),
        sentences=tuple(inside),
    )


def _with_score(item: ScoredPassage, score: float) -> ScoredPassage:
    return ScoredPassage(
        item.record,
        score,
        item.passage_cos,
        item.sentence_cos,
        item.coverage,
        item.lexical,
        item.sentences,
    )


def _cosines(
    snapshot: IndexSnapshot, query_vector: np.ndarray, records: list[ChunkRecord]
) -> dict[int, float]:
    ids = list(dict.fromkeys(r.chunk_id for r in records))
    vectors = snapshot.vectors_of(ids)
    return dict(zip(ids, (vectors @ query_vector).tolist(), strict=True))
