"""Pure scoring: how the evidence for one question's candidate passages becomes a ranking.

Kept free of SQLite and FAISS so that `bench/tune_retrieval.py` sweeps exactly the
functions the `qa` command runs, on features computed once per question.

Why a normalised weighted sum and not reciprocal rank fusion: RRF throws away how far
ahead the leader is. When BM25 finds one passage with every rare question word and the
dense ranking is flat, RRF still lets the dense favourite win; a sum of scores on a
common scale keeps that margin. Every feature is put on a per-query scale (BM25 divided
by the query's best BM25; coverage is a share of the question's IDF mass; cosines are
already bounded), so one set of weights carries over to libraries of other sizes and
styles without retuning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.words import STOPWORDS, terms
from qa.words import stem as stem_of


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the features in the fused score (chosen on the SQuAD tune split; the
    news context weights on the news set's tuning weeks, `bench/news_tune.py`)."""

    lexical: float = 0.3
    """BM25 of the passage divided by the best BM25 of the query's candidates."""
    passage: float = 0.5
    """Cosine of the question with the whole passage."""
    sentence: float = 1.0
    """Cosine of the question with the passage's best sentence."""
    coverage: float = 0.6
    """Share of the question's IDF mass found in the passage's best sentence."""
    boilerplate: float = 0.5
    """Subtracted from boilerplate passages: below comparable article text, still findable."""
    restates: float = 1.5
    """Subtracted from a heading that only restates the question (see `restates`): it
    matches the question best of all, yet never answers it."""
    title: float = 0.1
    """Share of the question's IDF mass found in the article's title and not in the
    passage: a news paragraph rarely repeats the story's subject ("the company")."""
    article: float = 0.3
    """Best sentence cosine among the article's candidates: the story as context."""


DEFAULT_WEIGHTS = FusionWeights()


@lru_cache(maxsize=50_000)
def _term_set(text: str) -> frozenset[str]:
    # Candidate sentences recur from question to question; cached, the overlap is cheap.
    return frozenset(terms(text))


def idf(document_frequency: int, documents: int) -> float:
    """BM25's IDF, floored above zero so a very common word still counts a little."""
    return math.log(1.0 + (documents - document_frequency + 0.5) / (document_frequency + 0.5))


def coverage(question_idf: dict[str, float], text: str) -> float:
    """Share of the question's IDF mass whose terms occur in `text` (0..1)."""
    total = sum(question_idf.values())
    if total <= 0:
        return 0.0
    present = _term_set(text)
    return sum(w for t, w in question_idf.items() if t in present) / total


def span_coverage(
    question_idf: dict[str, float],
    texts: Sequence[str],
    text_of: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    lowered: Sequence[str] | None = None,
) -> np.ndarray:
    """`coverage` of many spans at once: span i is `texts[text_of[i]][starts[i]:ends[i]]`.

    `lowered` may give each text lower-cased already (of the same length).

    Equal to calling `coverage` on each span's text, without tokenising every span: only
    the words that begin with a question term's stem are found (a string scan over all
    the texts), and each span counts the terms that occur inside it.
    """
    out = np.zeros(len(starts))
    total = sum(question_idf.values())
    if total <= 0 or not len(starts):
        return out
    # A newline is no word character, so no word runs from one text into the next.
    joined = "\n".join(lowered) if lowered is not None else "\n".join(texts).lower()
    if len(joined) != sum(len(t) + 1 for t in texts) - 1:
        # A few characters lower-case into two ("İ"), so offsets would drift: rare
        # enough to score span by span.
        return np.array(
            [
                coverage(question_idf, texts[i][s:e])
                for i, s, e in zip(text_of.tolist(), starts.tolist(), ends.tolist(), strict=True)
            ]
        )
    bases = np.cumsum([0, *(len(t) + 1 for t in texts[:-1])])
    low, high = bases[text_of] + starts, bases[text_of] + ends
    found = _term_positions(question_idf, joined)
    for stem, positions in found.items():
        at = np.array(positions)
        out += question_idf[stem] * (np.searchsorted(at, low) < np.searchsorted(at, high))
    return out / total


def _term_positions(question_idf: dict[str, float], lowered: str) -> dict[str, list[int]]:
    """Where in `lowered` (lower-cased text) each question term occurs as a word, as
    `terms` would read it.

    A stem is a prefix of its words, so each is found with `str.find` (a fast C scan,
    and no regex to compile for each new question's terms) and only the words found
    are checked, each distinct word once: tokenising every word costs ~10x more.
    """
    found: dict[str, list[int]] = {}
    for stem in question_idf:
        verdicts: dict[str, bool] = {}
        positions = []
        at = lowered.find(stem) if stem else -1
        while at != -1:
            if at and (lowered[at - 1].isalnum() or lowered[at - 1] == "_"):
                at = lowered.find(stem, at + 1)  # inside a word, not at its start
                continue
            word = _WORD_AT.match(lowered, at).group()  # type: ignore[union-attr]  # the stem is word characters
            verdict = verdicts.get(word)
            if verdict is None:
                verdict = verdicts[word] = word not in STOPWORDS and stem_of(word) == stem
            if verdict:
                positions.append(at)
            at = lowered.find(stem, at + len(word))
        if positions:
            found[stem] = positions
    return found


_WORD_AT = re.compile(r"\w*")


@dataclass(frozen=True)
class Context:
    """What a candidate's article and form add to its own evidence (arrays by candidate)."""

    restates: np.ndarray
    """1 where the passage is a heading that only restates the question (`restates`)."""
    title_coverage: np.ndarray
    """Share of the question's IDF mass in the article's title but not in the passage."""
    article_dense: np.ndarray
    """Best sentence cosine among the candidates of the passage's article."""


def fuse(
    bm25: np.ndarray,
    passage_cos: np.ndarray,
    sentence_cos: np.ndarray,
    sentence_coverage: np.ndarray,
    boilerplate: np.ndarray,
    weights: FusionWeights = DEFAULT_WEIGHTS,
    context: Context | None = None,
) -> np.ndarray:
    """Fused scores of one question's candidates (arrays aligned by candidate)."""
    top = float(bm25.max()) if len(bm25) else 0.0
    lexical = bm25 / top if top > 0 else np.zeros_like(bm25)
    score = (
        weights.lexical * lexical
        + weights.passage * passage_cos
        + weights.sentence * sentence_cos
        + weights.coverage * sentence_coverage
    )
    if context is not None:
        score = score + (
            weights.title * context.title_coverage
            + weights.article * context.article_dense
            - weights.restates * context.restates
        )
    # Boilerplate sinks below all article text unless it answers the question on its
    # own merits (the confidence rule): "How much is the monthly contribution?" must
    # still find the donation appeal, but "What did Peskov say?" never should.
    strong = DEFAULT_CONFIDENCE.holds(sentence_cos, sentence_coverage)
    penalty = np.where(strong, weights.boilerplate, weights.boilerplate + BOILERPLATE_TIER)
    return score - penalty * boilerplate


RESTATE_NEW_TERMS = 2
"""A short passage adding at most this many content words to the question's restates it."""
RESTATE_CHARS = 150
"""Longer passages are never taken for headings."""


def restates(question_terms: frozenset[str], text: str) -> bool:
    """Whether `text` is a heading that only restates the question, never its answer.

    A subheading asking a question ("When could the ban go into place?", "What's
    next?") announces an answer that follows; a short heading (no full stop) whose
    content words are nearly all the question's adds nothing either. A heading that
    states the answer ("Microsoft layoffs hit 4,800 workers") brings words of its own
    and is kept.
    """
    if len(text) > RESTATE_CHARS:
        return False
    end = text.rstrip().rstrip("\"'”’)")
    if end.endswith("?"):
        return True
    # A short line that ends as a sentence ends is a statement, maybe the answer itself
    # ("The script page mentions a pangolin."); headings rarely end with a full stop.
    if end.endswith((".", "!")):
        return False
    return len(_term_set(text) - question_terms) <= RESTATE_NEW_TERMS


def sentence_scores(cosines: np.ndarray, coverages: np.ndarray, weight: float) -> np.ndarray:
    """Score of each sentence as the answering one: meaning plus the question's rare words.

    Cosine alone prefers a sentence that paraphrases the question's topic; the one
    holding the answer usually also repeats the question's rarest words.
    """
    return cosines + weight * coverages


HIGHLIGHT_COVERAGE = 0.5
"""Weight of coverage against cosine when picking the highlighted sentence."""


@dataclass(frozen=True)
class ConfidenceRule:
    """'The library holds an answer' when the best hit is close in meaning or in words."""

    cosine: float = 0.5
    """Best-sentence cosine at or above which the top hit is trusted outright."""
    joint: float = 0.75
    """Or: cosine plus coverage of the question's IDF mass at or above this."""

    def confident(self, sentence_cos: float, sentence_coverage: float) -> bool:
        return sentence_cos >= self.cosine or sentence_cos + sentence_coverage >= self.joint

    def holds(self, sentence_cos: np.ndarray, sentence_coverage: np.ndarray) -> np.ndarray:
        """`confident` for arrays of candidates."""
        return (sentence_cos >= self.cosine) | (sentence_cos + sentence_coverage >= self.joint)


DEFAULT_CONFIDENCE = ConfidenceRule()
BOILERPLATE_TIER = 10.0
"""Larger than any spread of fused scores: weak boilerplate ranks after all article text."""
