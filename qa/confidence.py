"""How likely the top hit answers the question: a small logistic model over its evidence.

The old rule ("best sentence cosine >= 0.5, or cosine + coverage >= 0.75") called
nearly every in-library question confident, right or wrong: on news, 40 of 40 sampled
wrong top answers were. A probability of being right lets the flag mean something and
lets a user see how sure the answer is. Its features are what separates a right top
hit from a wrong one when the library does hold the topic: how far the top hit leads the
next distinct passage, how well its best sentence matches in meaning and in rare words.

The coefficients were fit by `bench/fit_confidence.py` (logistic regression, Newton's
method, features of the hybrid ranking with `DEFAULT_WEIGHTS`) on the tuning halves of
SQuAD dev (even article files) and the news set (even quiz weeks); figures in the README.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from qa.retrieve import ScoredPassage
from qa.scoring import DEFAULT_CONFIDENCE


@dataclass(frozen=True)
class ConfidenceModel:
    """P(top hit right) = sigmoid(intercept + coefficients . features)."""

    intercept: float
    coefficients: tuple[float, ...]
    """Weights of `FEATURES`, in order."""
    threshold: float
    """Below this probability the answer is flagged "no confident answer"."""

    nothing_fits: float = 0.1
    """The most an answer gets when its best sentence is far from the question in meaning
    and in words (`qa.scoring.ConfidenceRule`): the library lacks the topic, however far
    ahead the top hit happens to be (questions about something else lead by chance)."""

    def probability(self, features: Sequence[float]) -> float:
        z = self.intercept + sum(c * f for c, f in zip(self.coefficients, features, strict=True))
        p = 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))
        _, _, sentence_cos, coverage = features
        if not DEFAULT_CONFIDENCE.confident(sentence_cos, coverage):
            return min(p, self.nothing_fits)
        return p


FEATURES = ("score", "margin", "sentence_cos", "coverage")
"""See `top_features`."""

# Fit by bench/news_tune.py on the tune halves (SQuAD dev even articles, every 5th
# question; news even quiz weeks), DEFAULT_WEIGHTS ranking, 40-passage shortlist. The
# margin carries most of it; the cosine's negative weight corrects the score, which
# already counts it. Threshold 0.5: ~12% of SQuAD questions flagged, ~30% of news.
DEFAULT_MODEL = ConfidenceModel(
    intercept=-0.59,
    coefficients=(0.64, 7.28, -1.84, 0.25),
    threshold=0.5,
)


def top_features(
    top_score: float, runner_up: float | None, sentence_cos: float, coverage: float
) -> tuple[float, ...]:
    """The model's features: the top hit's fused score, its lead over the runner-up (the
    best passage that is not a copy of it; capped at 1, and 1 without one), and its best
    sentence's cosine and coverage."""
    margin = 1.0 if runner_up is None else min(top_score - runner_up, 1.0)
    return (top_score, margin, sentence_cos, coverage)


def answer_confidence(
    top: Sequence[ScoredPassage], runner_up: float | None, model: ConfidenceModel = DEFAULT_MODEL
) -> float:
    """Probability that `top` (the first hit, if any) answers the question; 0 if none."""
    if not top:
        return 0.0
    best = top[0]
    return model.probability(top_features(best.score, runner_up, best.sentence_cos, best.coverage))
