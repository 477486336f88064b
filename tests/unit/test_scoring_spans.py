"""The fast query-path features agree with their plain definitions.

`span_coverage` finds question terms with string scans instead of tokenising every
sentence; `fts_query` drops the commonest words from the BM25 query at scale. Both are
checked against what they must mean, on generated text.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.retrieve import LEXICAL_POSTINGS, fts_query
from qa.scoring import coverage, span_coverage, terms

# Stems that prefix other words ("nation"/"national"), suffix forms, stopwords, case.
VOCABULARY = (
    "nation national nationals nations report reported reporting reports the of was his "
    "hiss Peskov PESKOV peskov's kremlin Kremlin-backed troop troops co_op straße İstanbul "
    "announce announced announcing 2020 x"
).split()
words = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=40)
separators = st.sampled_from([" ", ", ", ". ", "\n", " (", ") ", "-"])


@st.composite
def paragraphs(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    chosen = draw(words)
    text, cuts = "", [0]
    for word in chosen:
        text += word
        text += draw(separators)
        cuts.append(len(text))
    picks = sorted(set(draw(st.lists(st.sampled_from(cuts), min_size=2, max_size=6))))
    return text, list(zip(picks, picks[1:], strict=False))


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(paragraphs(), min_size=1, max_size=4),
    question=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=5),
    weights=st.lists(st.floats(0.1, 5.0), min_size=5, max_size=5),
)
def test_span_coverage_equals_coverage_of_each_span(
    texts: list[tuple[str, list[tuple[int, int]]]], question: list[str], weights: list[float]
) -> None:
    stems = list(dict.fromkeys(terms(" ".join(question))))
    question_idf = {stem: w for stem, w in zip(stems, weights, strict=False)}
    text_of, starts, ends, expected = [], [], [], []
    for number, (text, spans) in enumerate(texts):
        for start, end in spans:
            text_of.append(number)
            starts.append(start)
            ends.append(end)
            expected.append(coverage(question_idf, text[start:end]))
    got = span_coverage(
        question_idf,
        [t for t, _ in texts],
        np.array(text_of, dtype=np.int64),
        np.array(starts, dtype=np.int64),
        np.array(ends, dtype=np.int64),
    )
    assert np.allclose(got, expected)


def test_bm25_query_keeps_the_rarest_words_within_the_posting_budget() -> None:
    words = ["president", "say", "tariffs", "steel"]
    rare, less_rare = LEXICAL_POSTINGS // 4, LEXICAL_POSTINGS // 3
    frequency = {"president": 50_000, "say": 90_000, "tariffs": rare, "steel": less_rare}
    assert fts_query(words, frequency) == '"tariffs" OR "steel"'
    # All words fit: nothing is dropped, and question order is kept.
    assert fts_query(words, dict.fromkeys(words, 10)) == (
        '"president" OR "say" OR "tariffs" OR "steel"'
    )


def test_bm25_query_never_drops_the_rarest_word() -> None:
    common = {"said": LEXICAL_POSTINGS * 10, "year": LEXICAL_POSTINGS * 20}
    assert fts_query(["year", "said"], common) == '"said"'
