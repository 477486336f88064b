"""Plain text and Markdown (.txt, .md): one article per file, front matter allowed.

A text saved from a news site often has no front matter but says what it is in its own
lines: a headline as its first line, and the publisher's name in a sign-off ("A Message
from The Moscow Times:", "© 2020 Reuters"). Those set the title and source when front
matter (or a Markdown `# heading`) does not; the lines stay paragraphs, with their
ordinals, so citations are unchanged. Only short lines are looked at: the text is
untrusted and these are checks of one line each.
"""

from __future__ import annotations

import re
from dataclasses import replace

from index.errors import UnreadableFile
from index.models import Article, Paragraph
from index.sources.paragraphs import build_article
from index.sources.reading import ArticleFile, TextReader

HEADLINE_MAX_CHARS = 160
HEADLINE_MAX_WORDS = 24
SOURCE_LINE_MAX_CHARS = 120

# A first line that ends like a sentence (or a clause) is the lede, not a headline; a
# headline may end in "?" or "!".
_ENDS_SENTENCE = re.compile(r"[.:;,…][\"'”’)\]]*\Z")
_BYLINE = re.compile(r"(?:by|from|posted|published|updated)\b", re.IGNORECASE)
# A name: capitalised first word, up to eight words, never a year or "All rights reserved".
_NOT_NAME = r"(?!\d{4}\b|all rights\b)"
_WORD_CHAR = r"[\w&.'’-]"
_NAME = (
    rf"((?:the\s+)?{_NOT_NAME}(?-i:[A-Z0-9]){_WORD_CHAR}*"
    rf"(?:\s+{_NOT_NAME}{_WORD_CHAR}+){{0,7}})"
)
_SOURCE_LINES = (
    # A publisher's appeal or note at the end of its article.
    re.compile(rf"a (?:message|note|letter) from {_NAME}\s*[:.]?", re.IGNORECASE),
    # A copyright line: "© 2020 The Moscow Times", "Copyright (c) Reuters 2021."
    re.compile(
        rf"(?:©|\(c\)|copyright)(?:\s*(?:©|\(c\)))?\s*(?:\d{{4}}\s*)?{_NAME}"
        r"(?:\s+\d{4})?\.?(?:\s+all rights reserved\.?)?",
        re.IGNORECASE,
    ),
)


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
    return [_with_own_title_and_source(article, file.fallback_title)]


def _with_own_title_and_source(article: Article, fallback_title: str) -> Article:
    """The article with the headline and source its own lines give, where nothing else did."""
    title = headline(article.paragraphs) if article.title == fallback_title else None
    source = source_line(article.paragraphs) if article.source is None else None
    if title is None and source is None:
        return article
    return replace(article, title=title or article.title, source=source or article.source)


def headline(paragraphs: tuple[Paragraph, ...]) -> str | None:
    """The first paragraph, when it reads as a headline over the text that follows it."""
    if len(paragraphs) < 2:
        return None
    first = paragraphs[0]
    text = first.text.strip()
    if first.boilerplate or len(text) > HEADLINE_MAX_CHARS:
        return None
    words = text.split()
    if not 2 <= len(words) <= HEADLINE_MAX_WORDS or _BYLINE.match(text):
        return None
    if _ENDS_SENTENCE.search(text) or not any(char.isupper() for char in text):
        return None
    return text


def source_line(paragraphs: tuple[Paragraph, ...]) -> str | None:
    """The publisher a short sign-off or copyright line names, the last such line first."""
    for paragraph in reversed(paragraphs):
        text = paragraph.text.strip()
        if len(text) > SOURCE_LINE_MAX_CHARS:
            continue
        for pattern in _SOURCE_LINES:
            match = pattern.fullmatch(text)
            if match:
                return match.group(1).strip().rstrip(".")
    return None


READER = TextReader((".txt", ".md"), read_text)
