"""The TUI's textual-free part: the transcript and its Markdown export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from qa import Answer, Citation, Filters, Highlight, Hit
from tui.transcript import Turn, export_markdown, to_markdown


def _answer() -> Answer:
    citation = Citation(
        article="a.txt",
        path="/lib/a.txt",
        title="A title",
        source="Herald",
        url="https://example.org/a",
        published="2021-03-04",
        paragraph=2,
        start=0,
        end=31,
    )
    text = "First sentence. The answer is 42."
    hit = Hit(1, 0.5, text, citation, highlights=(Highlight(16, 33, 0.9),))
    return Answer("What is it?", (hit,), searched="What is it?")


def test_markdown_export_has_the_answer_and_full_citations(tmp_path: Path) -> None:
    turns = [
        Turn(1, "What is it?", filters=Filters(source="Herald")).answered(_answer()),
        Turn(2, "Why?").failed("no index at /x"),
    ]
    text = to_markdown(turns, library="/lib/index", now=datetime(2024, 1, 2, 3, 4, 5))
    assert "## 1. What is it?" in text
    assert "**Answer:** The answer is 42. [1]" in text
    assert "[1] A title, Herald, 2021-03-04, paragraph 2 (a.txt); file /lib/a.txt" in text
    assert "https://example.org/a" in text
    assert "> First sentence. **The answer is 42.**" in text
    assert "_Filters: source: Herald_" in text
    assert "**Error:** no index at /x" in text
    first = export_markdown(turns, tmp_path, library="/lib/index")
    second = export_markdown(turns, tmp_path, library="/lib/index")
    assert first != second and first.read_text(encoding="utf-8").startswith("# article-qa chat")
