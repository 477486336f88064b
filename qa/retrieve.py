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

from index.store.filters import ArticleFilter
from index.store.interface import Store
from index.store.records import ChunkLayout, ChunkRecord
from qa.dates import check_range, normalise_date
from qa.scoring import (
    DEFAULT_WEIGHTS,
    HIGHLIGHT_COVERAGE,
    STOPWORDS,
    Context,
    FusionWeights,
    coverage,
    fuse,
    idf,
    restates,
    sentence_scores,
    span_coverage,
    terms,
)

MODES = ("hybrid", "dense", "bm25")
DENSE_CANDIDATES = 200
LEXICAL_CANDIDATES = 100
SHORTLIST = 40
"""Candidate passages scored on coverage and context; the rest are out of the running.
(300 paragraphs of long news articles made coverage the bulk of a question's time.)"""
LEXICAL_POSTINGS = 2000
"""Posting lists FTS5 may score per question (see `fts_query`)."""


@dataclass(frozen=True)
class Filters(ArticleFilter):
    """An `ArticleFilter` from what a user typed: checked, dates normalised.

    Dates are checked and normalised when a `Filters` is made (see `qa.dates`): a value
    that is not a date is a usage error, never a filter that silently matches nothing.
    `since`/`until` accept YYYY-MM-DD, YYYY/MM/DD, YYYY-MM or YYYY. (A dataclass again
    so that its `__init__` calls `__post_init__`: the parent's has none to call.)
    """

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, normalise_date(value, f"--{name}"))
        check_range(self.since, self.until, "--since", "--until")


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


def question_words(question: str) -> list[str]:
    """The question's distinct content words (all its words if it has no content word)."""
    words = [w for w in re.findall(r"\w+", question.lower()) if w not in STOPWORDS]
    return list(dict.fromkeys(words or re.findall(r"\w+", question.lower())))


def fts_query(words: list[str], frequency: dict[str, int] | None = None) -> str:
    """An FTS5 MATCH expression: any of `words`, each quoted.

    With document frequencies, the rarest words are kept while their posting lists add
    up to at most `LEXICAL_POSTINGS` (the rarest always stays). FTS5 scores every
    passage holding any query word, ~1.5 us each here, so one word found in a tenth of a
    million-passage library would cost ~150 ms; such a word carries almost no BM25
    weight, and it still counts in coverage and in the dense search.
    """
    if frequency:
        kept: list[str] = []
        postings = 0
        for word in sorted(words, key=lambda w: frequency.get(w, 0)):
            postings += frequency.get(word, 0)
            if kept and postings > LEXICAL_POSTINGS:
                break
            kept.append(word)
        words = [w for w in words if w in kept]
    return " OR ".join(f'"{w}"' for w in words)


def question_idf(
    store: Store, question: str, frequency: dict[str, int] | None = None
) -> dict[str, float]:
    """IDF of each content term of the question, from the library's passage counts.

    A term the library never holds gets the highest IDF: a question about something
    absent should look poorly covered (it feeds the confidence signal).
    """
    documents = max(1, store.passage_count())
    frequency = frequency if frequency is not None else document_frequencies(store, question)
    weights: dict[str, float] = {}
    for word, count in frequency.items():
        stems = terms(word)
        if stems and stems[0] not in weights:
            weights[stems[0]] = idf(count, documents)
    return weights


def document_frequencies(store: Store, question: str) -> dict[str, int]:
    """Passages holding each content word of the question, in question order."""
    words = [w for w in dict.fromkeys(re.findall(r"\w+", question.lower())) if terms(w)]
    return dict(zip(words, store.document_frequencies(words), strict=True))


def rank_passages(
    store: Store,
    question: str,
    query_vector: np.ndarray,
    *,
    k: int,
    mode: str = "hybrid",
    filters: ArticleFilter | None = None,
    weights: FusionWeights = DEFAULT_WEIGHTS,
) -> list[ScoredPassage]:
    """The top `k` passages for a question whose embedding is `query_vector`."""
    found = gather_evidence(store, question, query_vector, mode=mode, filters=filters)
    if found is None:
        return []
    if mode == "dense":
        weights = FusionWeights(lexical=0.0, passage=0.5, sentence=1.0, coverage=0.0)
    elif mode == "bm25":
        weights = FusionWeights(lexical=1.0, passage=0.0, sentence=0.0, coverage=0.0)
    fused = fuse(
        found.lexical,
        found.passage_cos,
        found.sentence_cos,
        found.coverage,
        found.boilerplate.astype(np.float64),
        weights,
        found.context if mode == "hybrid" else None,
    )
    order = np.argsort(-fused, kind="stable")[:k]
    return found.scored(order, fused[order])


@dataclass(frozen=True)
class Evidence:
    """One question's candidate passages and their features, as arrays aligned by passage.

    Computed for hundreds of chunks per question without building a record for any;
    `scored` builds `ScoredPassage`s for the few that are shown.
    """

    layout: ChunkLayout
    passages: np.ndarray
    """Layout rows of the candidate passages, in candidate order (first-hit paragraph
    order, then text order): stable sorting keeps that order among equal scores."""
    lexical: np.ndarray
    passage_cos: np.ndarray
    sentence_cos: np.ndarray
    coverage: np.ndarray
    boilerplate: np.ndarray
    chunk_cos: np.ndarray
    """Cosine of every layout row (passages and sentences)."""
    chunk_coverage: np.ndarray
    pair_passage: np.ndarray
    pair_sentence: np.ndarray
    """(candidate index, layout row) of each sentence inside a candidate passage."""
    context: Context

    def scored(self, picks: np.ndarray, scores: np.ndarray) -> list[ScoredPassage]:
        """`ScoredPassage`s of the candidates `picks`, with the given fused scores."""
        layout = self.layout
        inside: dict[int, list[int]] = {int(i): [] for i in picks}
        for candidate, row in zip(
            self.pair_passage.tolist(), self.pair_sentence.tolist(), strict=True
        ):
            if candidate in inside:
                inside[candidate].append(row)
        rows = [int(self.passages[i]) for i in picks] + [r for rs in inside.values() for r in rs]
        records = {r: layout.record(r) for r in rows}
        answering = sentence_scores(self.chunk_cos, self.chunk_coverage, HIGHLIGHT_COVERAGE)
        out = []
        for candidate, score in zip(picks.tolist(), scores.tolist(), strict=True):
            sentences = tuple(
                ScoredSentence(
                    records[r],
                    float(self.chunk_cos[r]),
                    float(self.chunk_coverage[r]),
                    float(answering[r]),
                )
                for r in inside[candidate]
            )
            out.append(
                ScoredPassage(
                    record=records[int(self.passages[candidate])],
                    score=float(score),
                    passage_cos=float(self.passage_cos[candidate]),
                    sentence_cos=float(self.sentence_cos[candidate]),
                    coverage=float(self.coverage[candidate]),
                    lexical=float(self.lexical[candidate]),
                    sentences=sentences,
                )
            )
        return out


def gather_evidence(
    store: Store,
    question: str,
    query_vector: np.ndarray,
    *,
    mode: str = "hybrid",
    filters: ArticleFilter | None = None,
    shortlist: int | None = SHORTLIST,
) -> Evidence | None:
    """The passages of the paragraphs either retriever hits, with their features.

    Whole paragraphs are taken (not only the hit chunk) so that a paragraph found by one
    sentence is scored on all its passages and sentences. Only the `shortlist` best by
    the cheap features (BM25 and cosines) get the costly ones (None: every passage).
    Chunk and paragraph ids are the store's (`index.store.keys`): only compared with each
    other, never interpreted.
    """
    dense_hits = []
    if mode != "bm25":
        dense_hits = store.dense_search(query_vector[None, :], DENSE_CANDIDATES, filters)[0]
    frequency = document_frequencies(store, question)
    lexical_hits = store.lexical_search(
        fts_query(question_words(question), frequency), LEXICAL_CANDIDATES, filters
    )
    hit_ids = [i for i, _ in dense_hits] + [i for i, _ in lexical_hits]
    paragraph_of = store.paragraphs_of(hit_ids)
    # Distinct, in the order the hits first name them.
    paragraph_ids = list(dict.fromkeys(paragraph_of[i] for i in hit_ids if i in paragraph_of))
    layout = store.chunk_layout(paragraph_ids)
    lexical = dict(lexical_hits)
    # Candidate order: paragraphs as first hit, then passages in text order.
    hit_order = {pid: n for n, pid in enumerate(paragraph_ids)}
    paragraph_rank = np.array([hit_order[p] for p in layout.paragraph_ids.tolist()])
    passages = np.flatnonzero(~layout.is_sentence)
    passages = passages[np.lexsort((layout.starts[passages], paragraph_rank[passages]))]
    bm25 = np.array([lexical.get(int(i), 0.0) for i in layout.chunk_ids[passages]])
    if mode == "bm25":
        keep = np.isin(layout.chunk_ids[passages], list(lexical))
        passages, bm25 = passages[keep], bm25[keep]
    if not len(passages):
        return None

    chunk_cos = store.vectors_of(layout.chunk_ids.tolist()) @ query_vector
    sentence_cos = _best_of_sentences(layout, passages, chunk_cos)
    if shortlist is not None and len(passages) > shortlist:
        keep = cheap_shortlist(bm25, chunk_cos[passages], sentence_cos, shortlist)
        passages, bm25, sentence_cos = passages[keep], bm25[keep], sentence_cos[keep]
    pair_passage, pair_sentence = _sentences_inside(layout, passages)
    # Coverage scans text, the costliest feature: only the shortlist's chunks are read.
    rows = np.concatenate([passages, pair_sentence])
    used, text_of = np.unique(layout.paragraph_of[rows], return_inverse=True)
    entries = [layout.entries[i] for i in used.tolist()]
    lowered = [e.lowered for e in entries]
    weights_idf = question_idf(store, question, frequency)
    chunk_coverage = np.zeros(len(layout.chunk_ids))
    chunk_coverage[rows] = span_coverage(
        weights_idf,
        [e.text for e in entries],
        text_of,
        layout.starts[rows],
        layout.ends[rows],
        lowered=None if None in lowered else lowered,
    )
    best_coverage = chunk_coverage[passages].copy()
    if len(pair_passage):
        # A passage with sentences takes their best; one without keeps its own value.
        has = np.zeros(len(passages), dtype=bool)
        has[pair_passage] = True
        top_cov = np.full(len(passages), -np.inf)
        np.maximum.at(top_cov, pair_passage, chunk_coverage[pair_sentence])
        best_coverage = np.where(has, top_cov, best_coverage)
    return Evidence(
        layout=layout,
        passages=passages,
        lexical=bm25.astype(np.float64),
        passage_cos=chunk_cos[passages].astype(np.float64),
        sentence_cos=sentence_cos,
        coverage=best_coverage,
        boilerplate=layout.boilerplate[layout.paragraph_of[passages]],
        chunk_cos=chunk_cos.astype(np.float64),
        chunk_coverage=chunk_coverage,
        pair_passage=pair_passage,
        pair_sentence=pair_sentence,
        context=_context(layout, passages, question, weights_idf, sentence_cos, best_coverage),
    )


def _context(
    layout: ChunkLayout,
    passages: np.ndarray,
    question: str,
    weights_idf: dict[str, float],
    sentence_cos: np.ndarray,
    best_coverage: np.ndarray,
) -> Context:
    """The article and form of each candidate passage as evidence (`qa.scoring.Context`)."""
    entries = [layout.entries[i] for i in layout.paragraph_of[passages].tolist()]
    article_ids = [e.article.id for e in entries]
    question_terms = frozenset(terms(question))
    starts, ends = layout.starts[passages].tolist(), layout.ends[passages].tolist()
    heading = np.array(
        [
            restates(question_terms, e.text[s:t])
            for e, s, t in zip(entries, starts, ends, strict=True)
        ],
        dtype=np.float64,
    )
    titles = {e.article.id: e.article.title for e in entries}
    covered = {a: coverage(weights_idf, title) for a, title in titles.items()}
    title_coverage = np.array([covered[a] for a in article_ids])
    # The title's words count where the passage itself lacks them: at most what is missing.
    title_coverage = np.minimum(title_coverage, 1.0 - best_coverage)
    _, article = np.unique(np.array(article_ids), return_inverse=True)
    best = np.full(int(article.max()) + 1, -np.inf)
    np.maximum.at(best, article, sentence_cos)
    return Context(heading, np.maximum(title_coverage, 0.0), best[article])


def _best_of_sentences(
    layout: ChunkLayout, passages: np.ndarray, chunk_cos: np.ndarray
) -> np.ndarray:
    """Each passage's best sentence cosine (its own where it has no sentence chunk)."""
    pair_passage, pair_sentence = _sentences_inside(layout, passages)
    best = chunk_cos[passages].astype(np.float64)
    if len(pair_passage):
        top = np.full(len(passages), -np.inf)
        np.maximum.at(top, pair_passage, chunk_cos[pair_sentence])
        best = np.where(np.isfinite(top), top, best)
    return best


def cheap_shortlist(
    bm25: np.ndarray, passage_cos: np.ndarray, sentence_cos: np.ndarray, size: int
) -> np.ndarray:
    """Sorted indices of the `size` passages best by the features fusion weighs most, and
    of the best BM25 passage (it scales everyone's lexical score in `fuse`)."""
    top = float(bm25.max()) if len(bm25) else 0.0
    w = DEFAULT_WEIGHTS
    cheap = w.passage * passage_cos + w.sentence * sentence_cos
    if top > 0:
        cheap = cheap + w.lexical * bm25 / top
    keep = np.argsort(-cheap, kind="stable")[:size]
    # Sorted and distinct as np.unique would give, without it: its first plain call
    # imports numpy.ma (~12 ms of a cold `qa ask`).
    return np.array(sorted({*keep.tolist(), int(np.argmax(bm25))}), dtype=np.intp)


def _sentences_inside(layout: ChunkLayout, passages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(candidate index, layout row) for each sentence lying within a candidate passage.

    A paragraph's rows are contiguous in the layout, so each passage is paired with the
    rows of its own paragraph and the pairs outside its span are dropped.
    """
    pids = layout.paragraph_ids
    first = np.searchsorted(pids, pids[passages], side="left")
    last = np.searchsorted(pids, pids[passages], side="right")
    counts = last - first
    candidate = np.repeat(np.arange(len(passages)), counts)
    row = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    row = row + np.repeat(first, counts)
    host = passages[candidate]
    inside = (
        layout.is_sentence[row]
        & (layout.starts[row] >= layout.starts[host])
        & (layout.ends[row] <= layout.ends[host])
    )
    return candidate[inside], row[inside]
