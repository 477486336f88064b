"""Ranking behaviour on the seed library, with the real model and a real index.

Behaviour only, never scores: which paragraphs come first, what is highlighted, where
boilerplate lands, when the answer is flagged not confident, how filters and
duplicates behave.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from library_fixtures import SAMPLE, SHARED, build, embedder, make_library

from index.store.schema import db_path
from qa.confidence import answer_confidence
from qa.library import Library, rivals
from qa.retrieve import Filters, rank_passages

SEED_QUESTIONS = SHARED / "eval" / "seed" / "questions.jsonl"
NEWS_QUESTIONS = [
    ("What did Peskov say?", {1, 3}),
    ("Does Belarus need Russian troops?", {0}),
    ("Under what condition would Putin send the reserve to Belarus?", {2}),
    ("What did Macron call a Russian intervention in Belarus?", {4}),
    ("What did Borrell urge Russia to do?", {5}),
    ("How long has Lukashenko ruled Belarus?", {6}),
    ("What has Lukashenko been filmed doing?", {7}),
    ("When will Putin and Lukashenko meet?", {8}),
]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The sample article, two unrelated ones, and a verbatim copy of the sample."""
    root = tmp_path_factory.mktemp("articles")
    make_library(root)
    copy = root / "mirror"
    copy.mkdir()
    shutil.copy(root / SAMPLE, copy / "belarus-reserve-copy.txt")
    # A wire copy of the lead with a small edit: a near-duplicate, not an identical one.
    lead = (root / SAMPLE).read_text(encoding="utf-8").split("\n")[0]
    assert "the Kremlin said Monday" in lead
    edited = lead.replace("the Kremlin said Monday", "the Kremlin said on Monday")
    (copy / "wire-copy.txt").write_text(f"{edited}\n\nAn unrelated closing line.\n")
    index = tmp_path_factory.mktemp("index")
    build(index, root)
    return Library(index, embedder())


def test_peskov_quotes_are_the_first_two_hits_highlighted(library: Library) -> None:
    answer = library.ask("What did Peskov say?", k=5)
    first_two = answer.hits[:2]
    assert {hit.citation.paragraph for hit in first_two} == {1, 3}
    quotes = {1: "out of the question", 3: "no point in talking"}
    for hit in first_two:
        assert quotes[hit.citation.paragraph] in hit.best_sentence
    assert answer.confident


@pytest.mark.parametrize(("question", "gold"), NEWS_QUESTIONS)
def test_news_questions_rank_news_above_boilerplate(
    library: Library, question: str, gold: set[int]
) -> None:
    answer = library.ask(question, k=10)
    flags = [hit.boilerplate for hit in answer.hits]
    # No boilerplate hit may be followed by an article-text hit.
    assert flags == sorted(flags), [(h.citation.paragraph, h.boilerplate) for h in answer.hits]
    assert answer.hits[0].citation.paragraph in gold
    assert answer.confident


def test_boilerplate_is_still_findable(library: Library) -> None:
    answer = library.ask("How much does a monthly contribution start from?", k=5)
    assert 14 in [hit.citation.paragraph for hit in answer.hits[:3]]


def test_identical_paragraphs_collapse_into_one_cited_hit(library: Library) -> None:
    answer = library.ask("What has Lukashenko been filmed doing?", k=5)
    top = answer.hits[0]
    places = {c.article for c in (top.citation, *top.also_cited)}
    assert places == {SAMPLE, "mirror/belarus-reserve-copy.txt"}
    texts = [hit.text for hit in answer.hits]
    assert len(texts) == len(set(texts))


def test_near_identical_paragraphs_collapse_too(library: Library) -> None:
    answer = library.ask("Does Belarus need Russian troops?", k=5)
    top = answer.hits[0]
    places = {c.article for c in (top.citation, *top.also_cited)}
    assert "mirror/wire-copy.txt" in places
    assert len(places) == 3
    assert all("need for Russia" not in hit.text for hit in answer.hits[1:])


def test_a_wire_copy_of_the_top_hit_is_no_rival(library: Library) -> None:
    """The mirror's copy of the answer ranks right behind it; a story carried twice is
    no less sure for it, so the copy must not count as the runner-up."""
    question = "What has Lukashenko been filmed doing?"
    vector = library.encode_questions([question])[0]
    ranked = rank_passages(library.snapshot(), question, vector, k=20)
    top = ranked[0]
    copies = [p for p in ranked[1:] if p.record.text == top.record.text]
    assert copies
    found = rivals(ranked)
    assert all(p.record.text != top.record.text for p in found)
    assert found == rivals([top, *(p for p in ranked[1:] if p not in copies)])
    confidence = library.ask(question, k=5).confidence
    assert confidence == answer_confidence([top], found)
    assert confidence > answer_confidence([top], ranked[1:])


def test_filters_restrict_the_ranking(library: Library) -> None:
    by_source = library.ask("What did the mayor say?", k=5, filters=Filters(source="coastal"))
    assert by_source.hits
    assert all(hit.citation.source == "Coastal Herald" for hit in by_source.hits)
    assert "Mayor" in by_source.hits[0].text

    by_article = library.ask("What did Peskov say?", k=5, filters=Filters(article="orchard"))
    assert all(hit.citation.article == "orchard-frost.md" for hit in by_article.hits)
    assert not by_article.confident

    dated = library.ask("apricot harvest", k=5, filters=Filters(since="2022-01-01"))
    assert all((hit.citation.published or "") >= "2022-01-01" for hit in dated.hits)
    assert dated.hits[0].citation.article == "orchard-frost.md"
    assert not library.ask("apricot", k=5, filters=Filters(until="2000-01-01")).hits


@pytest.mark.parametrize(
    "question",
    [
        "What is the boiling point of mercury?",
        "Which team won the 1998 football world cup?",
        "How do I bake sourdough bread?",
    ],
)
def test_unrelated_questions_are_not_confident(library: Library, question: str) -> None:
    answer = library.ask(question, k=5)
    assert not answer.confident
    assert answer.hits  # the nearest passages are still listed


def test_seed_questions_are_confident(library: Library) -> None:
    rows = [json.loads(line) for line in SEED_QUESTIONS.read_text().splitlines() if line]
    flagged = [r["question"] for r in rows if not library.ask(r["question"], k=3).confident]
    assert flagged == []


def test_answers_do_not_depend_on_how_many_paragraphs_the_snapshot_keeps(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot that must forget paragraphs to make room still scores all it found."""
    expected = [library.ask(q, k=5) for q, _ in NEWS_QUESTIONS]
    monkeypatch.setattr("index.store.snapshot._LAYOUTS_KEPT", 4)
    small = Library(library.index_dir, library.embedder)
    try:
        snapshot = small.snapshot()
        with sqlite3.connect(db_path(library.index_dir)) as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM paragraphs ORDER BY id")]
        snapshot.chunk_layout(ids[:3])
        assert snapshot.chunk_layout(ids[:6]).paragraphs == tuple(ids[:6])
        got = [small.ask(q, k=5) for q, _ in NEWS_QUESTIONS]
    finally:
        small.close()
    for before, after in zip(expected, got, strict=True):
        assert [h.citation for h in after.hits] == [h.citation for h in before.hits]
        assert [h.score for h in after.hits] == pytest.approx([h.score for h in before.hits])
