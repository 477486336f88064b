"""Saving a web article: a safe, stable file name per URL, written whole, read back as text."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from index.sources.formats.text_file import read_text
from index.sources.reading import ArticleFile
from index.web.pages import WebArticle
from index.web.saving import ADDED, UNCHANGED, UPDATED, canonical_url, file_name, save_article

ARTICLE = WebArticle(
    url="https://news.example.com/world/2024/05/bridge-reopens",
    title="Harbour bridge\nreopens\x1b[2J",
    paragraphs=("The bridge reopened on Thursday.", "Title: not front matter, a paragraph."),
    source="Coastal Herald",
    author="Ines Duarte",
    published="2024-05-02",
)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/../../etc/passwd",
        "https://example.com/a/%2e%2e/%2e%2e/b",
        "http://example.com/" + "x" * 5000,
        "http://example.com/\u202eevil\u0000name\n/..",
        "https://пример.рф/новости/статья",
        "http://[::1]:8080/",
        "https://example.com/?a=1&b=2#frag",
    ],
)
def test_file_names_from_urls_are_safe_and_bounded(url: str) -> None:
    name = file_name(url)
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*\.txt", name), name
    assert len(name) <= 140


def test_one_page_reached_two_ways_is_one_file_and_two_pages_are_two() -> None:
    base = "https://Example.com:443/news/bridge"
    same = [
        base + "#comments",
        base + "?utm_source=feed&utm_medium=rss",
        "https://example.com/news/bridge",
    ]
    assert {file_name(url) for url in same} == {file_name(base)}
    assert file_name(base + "?id=2") != file_name(base + "?id=3")


def test_a_url_keeps_no_credentials() -> None:
    assert canonical_url("https://ann:secret@Example.com/news?utm_campaign=x#top") == (
        "https://example.com/news"
    )


def test_a_saved_article_reads_back_with_its_url_and_metadata(tmp_path: Path) -> None:
    saved = save_article(ARTICLE, tmp_path / "articles")
    assert saved.status == ADDED and saved.path.parent == tmp_path / "articles"
    text = saved.path.read_text(encoding="utf-8")
    file = ArticleFile(saved.path.name, saved.path.name, str(saved.path), "fallback", ".txt")
    [article] = read_text(text, file, [])
    assert article.url == ARTICLE.url
    # A line break or escape in the title cannot add a line or reach a terminal.
    assert article.title == "Harbour bridge reopens [2J"
    assert (article.source, article.author, article.published) == (
        "Coastal Herald",
        "Ines Duarte",
        "2024-05-02",
    )
    assert [p.text for p in article.paragraphs] == list(ARTICLE.paragraphs)
    assert [p.ordinal for p in article.paragraphs] == [1, 2]


def test_saving_again_is_unchanged_and_changed_text_updates_in_place(tmp_path: Path) -> None:
    first = save_article(ARTICLE, tmp_path)
    again = save_article(ARTICLE, tmp_path)
    changed = replace(ARTICLE, paragraphs=("A correction was added.",))
    updated = save_article(changed, tmp_path)
    assert (again.status, updated.status) == (UNCHANGED, UPDATED)
    assert first.path == again.path == updated.path
    assert [p.name for p in tmp_path.iterdir()] == [first.path.name]  # no temporary left
    assert "A correction was added." in first.path.read_text(encoding="utf-8")


def test_a_failed_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = save_article(ARTICLE, tmp_path)
    before = saved.path.read_bytes()

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("index.web.saving.os.replace", full_disk)
    changed = replace(ARTICLE, paragraphs=("New text.",))
    with pytest.raises(OSError):
        save_article(changed, tmp_path)
    assert saved.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [saved.path.name]
