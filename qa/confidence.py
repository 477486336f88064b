"""How likely the top hit answers the question: a small logistic model over its evidence.

The old rule ("best sentence cosine >= 0.5, or cosine + coverage >= 0.75") called
nearly every in-library question confident, right or wrong: on news, 40 of 40 sampled
wrong top answers were. A probability of being right lets the flag mean something and
lets a user see how sure the answer is. Its features compare the top hit with its rivals
(the next passages that are not copies of it), because what separates a right top hit
from a wrong one is less how well it matches than how clearly it beats the rest: how far
it leads the runner-up and the pack behind it in score, and how much more of the
question's rare words its best sentence holds than any rival's does. A wire copy of the
top passage is no rival: a story syndicated five times is no less sure for it.

The coefficients were fit by `bench/fit_confidence.py` (logistic regression, Newton's
method, on the ranking `qa.library.Library.ask` returns) on the tuning halves of SQuAD
dev (even article files) and the news set (even quiz weeks); figures in its output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from qa.retrieve import ScoredPassage
from qa.scoring import DEFAULT_CONFIDENCE

RIVALS = 9
"""Passages after the top one that the features compare it with (copies of it aside)."""
PACK = 4
"""The lead is measured over the PACK-th rival: the top hit of a question the library
answers stands clear of the pack, not only of the runner-up."""


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

    def probability(self, features: Sequence[float], sentence_cos: float, coverage: float) -> float:
        """P(right) from `top_features`; the top hit's best sentence cosine and coverage
        decide whether anything fits at all."""
        z = self.intercept + sum(c * f for c, f in zip(self.coefficients, features, strict=True))
        p = 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))
        if not DEFAULT_CONFIDENCE.confident(sentence_cos, coverage):
            return min(p, self.nothing_fits)
        return p


FEATURES = ("score", "margin", "sentence_cos", "coverage", "lead", "coverage_lead")
"""See `top_features`."""

# Fit by bench/fit_confidence.py on the tune halves (SQuAD dev even article files, every
# 5th question; news even quiz weeks), each half weighing the same, DEFAULT_WEIGHTS
# ranking. The leads carry most of it (the margin most on SQuAD, the lead over the pack
# and the coverage lead most on news); the cosine's negative weight corrects the score,
# which already counts it. Threshold 0.5: 16% of SQuAD dev questions flagged, 39% of news
# (AUROC 0.887 and 0.688; the old four-feature model: 0.900 and 0.635).
DEFAULT_MODEL = ConfidenceModel(
    intercept=0.42,
    coefficients=(0.72, 2.05, -3.88, -0.03, 1.70, 2.29),
    threshold=0.5,
)


def top_features(top: ScoredPassage, rivals: Sequence[ScoredPassage]) -> tuple[float, ...]:
    """The model's features (`FEATURES`) of the top hit against its `rivals`, the passages
    ranked after it that are not copies of it, best first (`RIVALS` of them are used):

    - score: the top hit's fused score;
    - margin: its lead over the first rival (capped at 1; 1 without a rival);
    - sentence_cos, coverage: its best sentence's cosine and coverage;
    - lead: its lead over the `PACK`-th rival (or the last one; capped at 1; 1 without);
    - coverage_lead: its coverage minus the best rival coverage (its coverage without).
    """
    rivals = rivals[:RIVALS]
    if not rivals:
        return (top.score, 1.0, top.sentence_cos, top.coverage, 1.0, top.coverage)
    margin = min(top.score - rivals[0].score, 1.0)
    lead = min(top.score - rivals[min(PACK, len(rivals)) - 1].score, 1.0)
    coverage_lead = top.coverage - max(r.coverage for r in rivals)
    return (top.score, margin, top.sentence_cos, top.coverage, lead, coverage_lead)


def answer_confidence(
    top: Sequence[ScoredPassage],
    rivals: Sequence[ScoredPassage],
    model: ConfidenceModel = DEFAULT_MODEL,
) -> float:
    """Probability that `top` (the first hit, if any) answers the question; 0 if none.
    `rivals`: the passages ranked after it that are not copies of it, best first."""
    if not top:
        return 0.0
    best = top[0]
    return model.probability(top_features(best, rivals), best.sentence_cos, best.coverage)
