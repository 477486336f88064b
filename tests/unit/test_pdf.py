"""PDF articles: the text layer read page by page, cited with its page; a PDF without text,
a damaged one or an oversized one is skipped with its reason while the rest is indexed."""

from __future__ import annotations

from pathlib import Path

import pytest
from library_fixtures import build, embedder
from pdf_support import pdf_bytes

from index.sources.formats import pdf_file
from index.sources.readers import read_articles
from qa.library import Library

# As typeset text is: full lines, and a short one ending each paragraph.
REPORT = [
    [
        "The harbour bridge reopened to traffic on Thursday after eight",
        "months of repairs to its steel cables.",
        "Mayor Ines Duarte said the city spent 41 million euros on the",
        "work and thanked residents for their patience.",
    ],
    [],
    [
        "Ferry operators reported that passenger numbers fell by a third",
        "once the bridge reopened.",
    ],
]


def test_a_pdf_is_read_page_by_page_into_paragraphs_with_their_page(tmp_path: Path) -> None:
    path = tmp_path / "bridge-report.pdf"
    path.write_bytes(pdf_bytes(REPORT, {"Title": "Bridge report", "CreationDate": "D:20210304"}))
    [article] = read_articles(path, tmp_path)
    assert (article.title, article.published) == ("Bridge report", "2021-03-04")
    assert [(p.ordinal, p.page, p.line) for p in article.paragraphs] == [
        (0, 1, None),
        (1, 1, None),
        (2, 3, None),  # page 2 has no text: the numbering keeps it
    ]
    first, second, third = (p.text for p in article.paragraphs)
    assert first.startswith("The harbour bridge") and first.endswith("steel cables.")
    assert second.startswith("Mayor Ines Duarte") and "patience." in second
    assert third.startswith("Ferry operators")


def test_a_built_pdf_is_answered_and_cited_with_its_page(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "bridge-report.pdf").write_bytes(pdf_bytes(REPORT, {"Title": "Bridge report"}))
    (folder / "scan.pdf").write_bytes(pdf_bytes([[], []]))
    good = pdf_bytes(REPORT)
    (folder / "cut-short.pdf").write_bytes(good[: len(good) // 3])
    (folder / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    report = build(tmp_path / "index", folder)
    assert report.articles == 1
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["scan.pdf"] == "no text layer (a scanned PDF?): nothing to index"
    assert set(reasons) == {"scan.pdf", "cut-short.pdf", "garbage.pdf"}
    assert all("\n" not in reason for reason in reasons.values())

    library = Library(tmp_path / "index", embedder())
    try:
        hit = library.ask("How many passengers did the ferries lose?", k=1).hits[0]
    finally:
        library.close()
    assert hit.text.startswith("Ferry operators")
    citation = hit.citation
    assert (citation.title, citation.paragraph, citation.page, citation.line) == (
        "Bridge report",
        2,
        3,
        None,
    )
    assert "paragraph 2, page 3" in citation.label()
    assert citation.to_json()["page"] == 3


def test_a_pdf_of_more_pages_than_allowed_is_skipped_naming_the_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_file, "MAX_PAGES", 2)
    path = tmp_path / "book.pdf"
    path.write_bytes(pdf_bytes(REPORT))
    from index.errors import UnreadableFile

    with pytest.raises(UnreadableFile) as caught:
        read_articles(path, tmp_path)
    assert caught.value.reason == "3 pages; at most 2 are read"
