"""JSON Lines (.jsonl): one article per line, `{"text": ..., "title": ..., ...}`."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace

from index.errors import UnreadableFile
from index.models import Article
from index.plural import counted
from index.sources.paragraphs import TooManyLines, allowed_paragraphs, build_article, too_many_lines
from index.sources.reading import ArticleFile, TextReader

_JSON_FIELDS = ("title", "url", "source", "author", "published")
_LINE = re.compile(r"[^\n]+")


def read_jsonl(text: str, file: ArticleFile, notes: list[str]) -> list[Article]:
    """One article per line that is a JSON object with a `text`; the others are counted."""
    articles: list[Article] = []
    problems: Counter[str] = Counter()
    # Many tiny records cost like many tiny lines (see `allowed_paragraphs`).
    allowed = allowed_paragraphs(len(text))
    paragraphs = 0
    # Citations point an editor at the record's line: every paragraph of a record is on it.
    line_number, counted_to = 1, 0
    # One line at a time: a list of every line of a file of millions was gigabytes.
    for match in _LINE.finditer(text):
        line_number += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        line = match.group()
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            problems["not JSON"] += 1
            continue
        except RecursionError:
            # `[[[[...` a hundred thousand deep: this line only, not the whole build.
            problems["nested too deeply"] += 1
            continue
        if not isinstance(record, dict):
            problems["not a JSON object"] += 1
            continue
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            problems["no text"] += 1
            continue
        metadata = {name: v for name in _JSON_FIELDS if isinstance(v := record.get(name), str)}
        number = len(articles)
        try:
            article = build_article(
                body,
                key=f"{file.key}#{number}",
                path=file.path,
                fallback_title=f"{file.fallback_title} #{number}",
                metadata=metadata,
                front_matter=False,
                lines=line_number,
            )
        except TooManyLines:
            problems["too many short lines"] += 1
            continue
        if article.paragraphs:
            articles.append(article)
            paragraphs += len(article.paragraphs)
            if paragraphs > allowed:
                raise too_many_lines(paragraphs, len(text), "paragraphs")
        else:
            problems["no text"] += 1
    if not articles:
        raise UnreadableFile(file.shown, "no valid JSON articles")
    # File-level notes go on the first article only, so the build report says them once.
    summary = [
        f"{counted(count, 'line')} skipped: {reason}" for reason, count in sorted(problems.items())
    ]
    articles[0] = replace(articles[0], notes=(*notes, *summary, *articles[0].notes))
    return articles


READER = TextReader((".jsonl",), read_jsonl)
