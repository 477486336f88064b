"""Ranking news as scraped: headings, titles as context, and how sure an answer is.

A small library shaped like real news files (the title as the first block, short
subheadings, near-identical wire paragraphs about different companies), indexed with
the real model.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from library_fixtures import build, embedder, make_library

from qa.confidence import DEFAULT_MODEL, PACK, answer_confidence
from qa.library import Library, rivals
from qa.retrieve import rank_passages
from qa.scoring import restates
from qa.words import terms

TIKTOK = (
    "TikTok ban moves ahead as court rejects appeal\n\n"
    "A federal appeals court on Friday upheld a law that could ban TikTok in the United "
    "States unless its Chinese owner sells the app.\n\n"
    "When could the TikTok ban go into place?\n\n"
    "The ban could take effect on January 19, the deadline the law sets for ByteDance to "
    "sell its stake, unless the Supreme Court steps in first.\n\n"
    "What's next?\n\n"
    "TikTok said it would ask the Supreme Court to review the ruling."
)
MICROSOFT = (
    "Microsoft layoffs hit 4,800 workers\n\n"
    "The company said on Tuesday that it will cut 4,800 jobs across its gaming and cloud "
    "divisions.\n\n"
    "Shares rose slightly in early trading."
)
INTEL = (
    "Intel trims its factory plans\n\n"
    "The company said on Tuesday that it will cut 1,200 jobs across its chip plants.\n\n"
    "Analysts expect more cuts next year."
)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    root = make_library(tmp_path_factory.mktemp("news"))
    (root / "tiktok-ban-court.txt").write_text(TIKTOK, encoding="utf-8")
    (root / "microsoft-layoffs.txt").write_text(MICROSOFT, encoding="utf-8")
    (root / "intel-factory-plans.txt").write_text(INTEL, encoding="utf-8")
    index = tmp_path_factory.mktemp("index")
    build(index, root)
    return Library(index, embedder())


def paragraphs(answer: object, article: str) -> list[int]:
    return [
        hit.citation.paragraph
        for hit in answer.hits  # type: ignore[attr-defined]
        if hit.citation.article == article
    ]


def test_a_subheading_restating_the_question_ranks_below_its_answer(library: Library) -> None:
    answer = library.ask("When could the TikTok ban go into place?", k=5)
    found = paragraphs(answer, "tiktok-ban-court.txt")
    # The heading matches the question word for word; the answer does not.
    assert 3 in found and 2 not in found[: found.index(3)], found
    answer_hit = answer.hits[[h.citation.paragraph for h in answer.hits].index(3)]
    assert "January 19" in answer_hit.best_sentence


def test_a_bare_whats_next_heading_never_leads(library: Library) -> None:
    answer = library.ask("What's next for TikTok after the court ruling?", k=5)
    assert answer.hits[0].citation.paragraph != 4
    assert answer.hits[0].citation.paragraph == 5


def test_a_heading_that_states_the_answer_may_lead(library: Library) -> None:
    answer = library.ask("How many workers did Microsoft lay off?", k=5)
    top = answer.hits[0]
    assert top.citation.article == "microsoft-layoffs.txt"
    assert "4,800" in top.text


def test_a_short_sentence_answering_the_question_is_no_heading() -> None:
    asked = frozenset(terms("Which article mentions the pangolin?"))
    # It adds only two words to the question's, yet states the answer, as a sentence.
    assert not restates(asked, "The script page mentions a pangolin.")
    assert not restates(asked, "“The script page mentions a pangolin.”")
    assert restates(asked, "Which article mentions the pangolin?")
    assert restates(asked, "The pangolin article")


@pytest.mark.parametrize(
    ("question", "article", "number"),
    [
        ("How many jobs will Microsoft cut?", "microsoft-layoffs.txt", "4,800"),
        ("How many jobs will Intel cut?", "intel-factory-plans.txt", "1,200"),
    ],
)
def test_the_title_names_what_a_paragraph_leaves_unnamed(
    library: Library, question: str, article: str, number: str
) -> None:
    """Two wire paragraphs differ only in their figure; only the titles name the company."""
    answer = library.ask(question, k=5)
    ranked = [
        h for h in answer.hits if h.text.startswith("The company said on Tuesday that it will cut")
    ]
    assert ranked[0].citation.article == article
    assert number in ranked[0].text


def test_confidence_is_a_probability_and_orders_answers(library: Library) -> None:
    inside = library.ask("What did Peskov say?", k=3)
    outside = library.ask("What is the boiling point of mercury?", k=3)
    for answer in (inside, outside):
        assert 0.0 <= answer.confidence <= 1.0
        assert answer.confident == (answer.confidence >= DEFAULT_MODEL.threshold)
        assert json.loads(json.dumps(answer.to_json()))["confidence"] == round(answer.confidence, 3)
    assert inside.confident and not outside.confident
    assert inside.confidence > outside.confidence


def test_an_answer_is_less_sure_when_its_rivals_come_closer(library: Library) -> None:
    """The leads the model weighs: over the pack behind the runner-up, and in coverage of
    the question's rare words. Each rival moved closer, the rest as ranked, lowers it."""
    question = "What did Peskov say?"
    vector = library.encode_questions([question])[0]
    ranked = rank_passages(library.snapshot(), question, vector, k=20)
    top, found = ranked[0], rivals(ranked)
    assert len(found) > PACK
    sure = answer_confidence([top], found)
    assert sure == library.ask(question, k=5).confidence
    # The runner-up stays; the pack behind it closes up on it.
    pack = [found[0], *(replace(r, score=found[0].score) for r in found[1:PACK]), *found[PACK:]]
    assert answer_confidence([top], pack) < sure
    # The last rival's best sentence covers more of the question than any other's.
    most = max(top.coverage, *(r.coverage for r in found))
    covering = [*found[:-1], replace(found[-1], coverage=most + 0.25)]
    assert answer_confidence([top], covering) < sure
