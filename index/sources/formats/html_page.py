"""HTML pages (.html, .htm): the main text by trafilatura, or all of the page's text."""

from __future__ import annotations

from index.errors import UnreadableFile
from index.models import Article
from index.sources.html_text import (
    MAX_HTML_DEPTH,
    extract_main_text,
    nested_deeper_than,
    strip_tags,
)
from index.sources.paragraphs import build_article
from index.sources.reading import ArticleFile, TextReader


def read_html(text: str, file: ArticleFile, notes: list[str]) -> list[Article]:
    """The page's main text as one article (all of its text when the extractor fails)."""
    extracted: str | None
    metadata: dict[str, str | None]
    if nested_deeper_than(text, MAX_HTML_DEPTH):
        extracted, metadata = None, {}
        fallback = "page nested too deeply for main-text extraction; all page text kept"
    else:
        extracted, metadata = extract_main_text(text)
        fallback = "main text not found; all page text kept (tags stripped)"
    if not extracted or not extracted.strip():
        extracted, title = strip_tags(text)
        metadata = {"title": title}
        notes = [*notes, fallback]
    article = build_article(
        extracted,
        key=file.key,
        path=file.path,
        fallback_title=file.fallback_title,
        metadata=metadata,
        front_matter=False,
        notes=notes,
        lines=None,  # the extracted text's lines are not the page source's
    )
    if not article.paragraphs:
        raise UnreadableFile(file.shown, "no text found in the HTML page")
    return [article]


READER = TextReader((".html", ".htm"), read_html, declared_charset=True)
