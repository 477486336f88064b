"""Issue 12, item 7: a text file's own headline and publisher line set its title and source.

Only where front matter (or a Markdown heading) says nothing; the lines stay paragraphs
with their ordinals, so citations and eval gold are unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.locations import sample_dir
from index.sources.readers import read_articles

SAMPLE = sample_dir() / "moscow-times-belarus-reserve.txt"


def read_one(path: Path):  # noqa: ANN201
    [article] = read_articles(path, path.parent)
    return article


def test_the_sample_names_its_publisher_from_its_own_sign_off(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    article = read_one(tmp_path / SAMPLE.name)
    assert article.source == "The Moscow Times"
    # Its first line is the lede (a sentence), not a headline: no headline to take.
    assert article.title == "Moscow times belarus reserve"
    assert [p.ordinal for p in article.paragraphs] == list(range(17))


def test_a_headline_line_and_a_copyright_line_give_title_and_source(tmp_path: Path) -> None:
    path = tmp_path / "story-0412.txt"
    path.write_text(
        "Harbour Bridge Reopens After Eight Months of Repairs\n\n"
        "The harbour bridge reopened to traffic on Thursday.\n\n"
        "Mayor Ines Duarte said the city spent 41 million euros on the work.\n\n"
        "© 2021 The Coastal Herald. All rights reserved.\n",
        encoding="utf-8",
    )
    article = read_one(path)
    assert article.title == "Harbour Bridge Reopens After Eight Months of Repairs"
    assert article.source == "The Coastal Herald"
    assert [p.ordinal for p in article.paragraphs] == [0, 1, 2, 3]
    assert article.paragraphs[0].text == article.title


@pytest.mark.parametrize(
    "first_line",
    [
        "The harbour bridge reopened to traffic on Thursday after repairs.",  # a lede
        "By Ines Duarte",  # a byline
        "bridge",  # one word
        "the harbour bridge reopened to traffic",  # no capital: running text
    ],
)
def test_a_first_line_that_is_not_a_headline_leaves_the_file_name_title(
    tmp_path: Path, first_line: str
) -> None:
    path = tmp_path / "harbour-bridge.txt"
    path.write_text(f"{first_line}\n\nFerry operators reported fewer passengers.\n")
    article = read_one(path)
    assert article.title == "Harbour bridge"
    assert article.source is None


def test_front_matter_wins_over_the_files_own_lines(tmp_path: Path) -> None:
    path = tmp_path / "harbour.txt"
    path.write_text(
        "Title: Bridge reopens\nSource: Valley Farmer\n\n"
        "Harbour Bridge Reopens After Eight Months\n\n"
        "The bridge reopened on Thursday.\n\n"
        "A Message from The Coastal Herald:\n",
        encoding="utf-8",
    )
    article = read_one(path)
    assert (article.title, article.source) == ("Bridge reopens", "Valley Farmer")


def test_a_lowercase_appeal_or_a_long_line_names_no_source(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        "Council Votes on the Budget\n\n"
        "a message from our editors:\n\n"
        f"A Message from The Coastal Herald: {'and more words ' * 10}\n",
        encoding="utf-8",
    )
    assert read_one(path).source is None
