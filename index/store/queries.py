"""The SQL of the read side that depends on what is asked: filters and searches.

`IndexSnapshot` runs these; they are kept here so that each `ArticleFilter` criterion's
SQL sits in one place, next to the joins it is used in. Conditions are over `a` (articles).
"""

from __future__ import annotations

from index.store.filters import PERIOD_END, ArticleFilter

SINCE_SQL = "a.published >= ?"
"""One parameter (the --since prefix): published on or after it."""

UNTIL_SQL = f"a.published <= ? || '{PERIOD_END}'"
"""One parameter (the --until prefix): published on or before the end of the period it
names."""

ARTICLE_SQL = "(lower(a.key) LIKE ? ESCAPE '\\' OR lower(a.title) LIKE ? ESCAPE '\\')"
SOURCE_SQL = "lower(coalesce(a.source, '')) LIKE ? ESCAPE '\\'"

CHUNKS_OF_ARTICLES = (
    "SELECT c.id FROM chunks c JOIN paragraphs p ON p.id = c.paragraph_id "
    "JOIN articles a ON a.id = p.article_id WHERE "
)
"""Followed by a condition over `a`: the chunks of the articles it holds for."""

LEXICAL_SQL = "SELECT rowid, -bm25(passage_fts) FROM passage_fts WHERE passage_fts MATCH ? "
LEXICAL_ORDER = " ORDER BY bm25(passage_fts) LIMIT ?"

ARTICLE_COUNTS_SQL = (
    "SELECT count(*), coalesce(sum(coalesce(a.published, '') = ''), 0), "
    "coalesce(sum(coalesce(trim(a.source), '') = ''), 0) FROM articles a"
)
"""Articles in all, undated (no date criterion keeps them) and without a source."""


def article_condition(where: ArticleFilter) -> tuple[str, tuple[str, ...]]:
    """A WHERE condition over `a` (articles) for a filter, and its parameters."""
    parts: list[str] = []
    params: list[str] = []
    if where.article:
        pattern = _contains(where.article)
        parts.append(ARTICLE_SQL)
        params += (pattern, pattern)
    if where.source:
        parts.append(SOURCE_SQL)
        params.append(_contains(where.source))
    if where.since:
        parts.append(SINCE_SQL)
        params.append(where.since)
    if where.until:
        parts.append(UNTIL_SQL)
        params.append(where.until)
    return " AND ".join(parts) or "1", tuple(params)


def _contains(text: str) -> str:
    """A LIKE pattern for "contains `text`": its own % and _ match only themselves."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
