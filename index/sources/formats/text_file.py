"""Plain text and Markdown (.txt, .md): one article per file, front matter allowed."""

from __future__ import annotations

from index.errors import UnreadableFile
from index.models import Article
from index.sources.paragraphs import build_article
from index.sources.reading import ArticleFile, TextReader


def read_text(text: str, file: ArticleFile, notes: list[str]) -> list[Article]:
    """The file as one article; Markdown's markup is dropped from .md files."""
    article = build_article(
        text,
        key=file.key,
        path=file.path,
        fallback_title=file.fallback_title,
        markdown=file.suffix == ".md",
        notes=notes,
    )
    if not article.paragraphs:
        raise UnreadableFile(file.shown, "no text besides the front matter")
    return [article]


READER = TextReader((".txt", ".md"), read_text)
