"""Paragraph numbering, front matter and boilerplate flags, checked against the real data."""

from __future__ import annotations

import json
from functools import cache

import pytest
from library_fixtures import SHARED

from index.sources.paragraphs import (
    build_article,
    detect_boilerplate,
    normalise_date,
    split_paragraphs,
    title_from_filename,
)

SQUAD = SHARED / "eval" / "squad_dev_v1.1"
SAMPLE = SHARED / "corpus" / "moscow-times-belarus-reserve.txt"

needs_shared = pytest.mark.skipif(not SQUAD.is_dir(), reason="shared eval data not present")


@cache
def squad_paragraphs() -> dict[str, dict[int, str]]:
    return {
        path.name: dict(split_paragraphs(path.read_text(encoding="utf-8"))[1])
        for path in sorted((SQUAD / "articles").glob("*.txt"))
    }


@needs_shared
def test_every_squad_gold_paragraph_holds_an_answer() -> None:
    paragraphs = squad_paragraphs()
    questions = [json.loads(line) for line in (SQUAD / "questions.jsonl").open(encoding="utf-8")]
    assert len(questions) == 10_570
    misses = [
        q["id"]
        for q in questions
        if not any(a in paragraphs[q["article"]].get(q["paragraph"], "") for a in q["answers"])
    ]
    assert misses == []
    assert sum(len(p) for p in paragraphs.values()) == 2067


@needs_shared
def test_almost_no_squad_paragraph_is_flagged_as_boilerplate() -> None:
    total = flagged = 0
    for paragraphs in squad_paragraphs().values():
        total += len(paragraphs)
        flagged += len(detect_boilerplate(sorted(paragraphs.items())))
    assert flagged < total * 0.005


@needs_shared
def test_sample_article_is_one_paragraph_per_line_with_the_appeal_flagged() -> None:
    metadata, paragraphs = split_paragraphs(SAMPLE.read_text(encoding="utf-8"))
    assert metadata == {}
    assert [ordinal for ordinal, _ in paragraphs] == list(range(17))
    texts = dict(paragraphs)
    assert "Peskov" in texts[1] and "Peskov" in texts[3]
    assert texts[9] == "A Message from The Moscow Times:"
    assert texts[16] == "Remind me later."
    assert detect_boilerplate(paragraphs) == set(range(9, 17))


def test_blocks_are_numbered_and_hard_wrapped_lines_joined() -> None:
    text = "\n\nFirst line\n  wrapped here  \n\n\n\nSecond block\n \t \nThird\nblock\n\n"
    assert split_paragraphs(text)[1] == [
        (0, "First line wrapped here"),
        (1, "Second block"),
        (2, "Third block"),
    ]


def test_without_blank_lines_each_line_is_a_paragraph_numbered_by_its_line() -> None:
    assert split_paragraphs("one\ntwo\nthree")[1] == [(0, "one"), (1, "two"), (2, "three")]
    # A trailing newline too many does not merge the lines into one block.
    assert split_paragraphs("one\ntwo\n\n")[1] == [(0, "one"), (1, "two")]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_give_the_same_paragraphs_as_lf(newline: str) -> None:
    lf = "Title: T\n\nA para\nwrapped.\n\nB para.\n"
    assert split_paragraphs(lf.replace("\n", newline)) == split_paragraphs(lf)
    lines = "l0\nl1\nl2"
    assert split_paragraphs(lines.replace("\n", newline)) == split_paragraphs(lines)


def test_bom_is_dropped() -> None:
    assert split_paragraphs("\ufeffHello.\n\nWorld.")[1] == [(0, "Hello."), (1, "World.")]


def test_front_matter_block_keeps_its_ordinal() -> None:
    text = (
        "Title: Harbour bridge reopens\nSOURCE: Coastal Herald\nURL: https://x.example/a?b=c\n"
        "Published: 2021-03-04\n\nFirst.\n\nSecond."
    )
    metadata, paragraphs = split_paragraphs(text)
    assert metadata == {
        "title": "Harbour bridge reopens",
        "source": "Coastal Herald",
        "url": "https://x.example/a?b=c",
        "published": "2021-03-04",
    }
    assert paragraphs == [(1, "First."), (2, "Second.")]


def test_front_matter_lines_keep_their_ordinals_without_blank_lines() -> None:
    metadata, paragraphs = split_paragraphs("Title: T\nAuthor: A. Writer\nLine two.\nLine three.")
    assert metadata == {"title": "T", "author": "A. Writer"}
    assert paragraphs == [(2, "Line two."), (3, "Line three.")]


def test_a_first_block_with_other_lines_is_not_front_matter() -> None:
    text = "Title: T\nThe bridge reopened on Monday.\n\nMore."
    metadata, paragraphs = split_paragraphs(text)
    assert metadata == {}
    assert paragraphs[0] == (0, "Title: T The bridge reopened on Monday.")
    # Unknown keys are text too.
    assert split_paragraphs("Location: Paris\n\nText.")[0] == {}


def test_markdown_headings_lose_their_marks_and_name_the_article() -> None:
    text = "# Late frost hits orchards\n\nA late frost.\n\n## Growers worry ##\n\nHarvest halved."
    metadata, paragraphs = split_paragraphs(text, markdown=True)
    assert metadata == {"title": "Late frost hits orchards"}
    assert paragraphs == [
        (0, "Late frost hits orchards"),
        (1, "A late frost."),
        (2, "Growers worry"),
        (3, "Harvest halved."),
    ]


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2021-03-04", "2021-03-04"),
        ("2021-03-04T10:00:00+00:00", "2021-03-04"),
        ("2021/3/4", "2021-03-04"),
        ("March 4, 2021", "2021-03-04"),
        ("Thursday, Mar. 4th, 2021", "2021-03-04"),
        ("4 March 2021", "2021-03-04"),
        ("Thu, 04 Mar 2021 10:00:00 +0000", "2021-03-04"),
        ("2021-02-30", None),
        ("last Tuesday", None),
        ("04/03/2021", None),
    ],
)
def test_dates_are_normalised_to_iso_or_dropped(raw: str, iso: str | None) -> None:
    assert normalise_date(raw) == iso


def test_title_from_file_name() -> None:
    assert title_from_filename("belarus-reserve_2020.txt") == "Belarus reserve 2020"
    assert title_from_filename("notes") == "Notes"


def test_build_article_merges_metadata_and_flags_boilerplate() -> None:
    text = (
        "Title: Bridge\nDate: March 4, 2021\n\nThe bridge reopened.\n\n"
        "Subscribe to our newsletter for the latest news in your inbox.\n\nAll rights reserved."
    )
    article = build_article(
        text,
        key="a/bridge.txt",
        path="/lib/a/bridge.txt",
        fallback_title="Bridge file",
        metadata={"source": "Herald", "title": "Ignored: front matter wins"},
    )
    assert (article.title, article.source, article.published) == ("Bridge", "Herald", "2021-03-04")
    assert [(p.ordinal, p.boilerplate) for p in article.paragraphs] == [
        (1, False),
        (2, True),
        (3, True),
    ]


def test_unreadable_date_is_noted_not_stored() -> None:
    article = build_article("Published: soon\n\nText.", key="k", path="/k", fallback_title="K")
    assert article.published is None
    assert article.notes == ("date not recognised: 'soon'",)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Dear readers,",
        "Remind me later.",
        "Please consider making a donation to keep our reporting free.",
        "Sign up for our free daily newsletter and get the news in your inbox.",
        "We use cookies to improve your experience on this site.",
        "\u00a9 2024 Coastal Herald. All rights reserved.",
        "Advertisement",
        "Read more",
    ],
)
def test_appeals_and_page_furniture_are_flagged(paragraph: str) -> None:
    assert detect_boilerplate([(0, "The council met on Monday."), (1, paragraph)]) == {1}


@pytest.mark.parametrize(
    "paragraph",
    [
        "The billionaire said he would donate most of his fortune to medical research.",
        "Subscribers to the service rose by 4 million in the quarter, the company said.",
        "Residents were asked to sign up for evacuation alerts before the storm arrived.",
        "\u201cWe need the support of our allies,\u201d the minister told reporters on Monday.",
        "A message from the mayor:",
        "A message from the president was read aloud at the opening of the summit, in "
        "which he urged delegates to reach an agreement on emissions before Friday.",
    ],
)
def test_ordinary_news_paragraphs_are_not_flagged(paragraph: str) -> None:
    assert detect_boilerplate([(0, paragraph), (1, "Talks continue.")]) == set()
