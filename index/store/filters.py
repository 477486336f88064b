"""`ArticleFilter`: which articles a search may return, as a value the store reads.

The asking side says what it wants (a key or title containing a word, a source, a range
of publication dates) and the store turns that into its own query language
(`index.store.queries` for SQLite): no SQL leaves the store, and another backend can
read the same value.
"""

from __future__ import annotations

from dataclasses import dataclass

PERIOD_END = "\uffff"
"""Appended to a date prefix, it sorts after every date the prefix covers."""

CRITERIA = ("article", "source", "since", "until")
"""The filter's fields, in the order notices name them."""


@dataclass(frozen=True)
class ArticleFilter:
    """Restrict a search to some articles; None means no restriction.

    Dates are ISO prefixes (`YYYY-MM-DD`, `YYYY-MM` or `YYYY`) compared with the stored
    ISO day, so a month or a year means all of it; an undated article passes no date
    criterion. `qa.retrieve.Filters` is this value made from what a user typed, checked.
    """

    article: str | None = None
    """Substring of the article key or title (case-insensitive)."""
    source: str | None = None
    """Substring of the source name (case-insensitive)."""
    since: str | None = None
    """ISO date prefix; articles published on or after it."""
    until: str | None = None
    """ISO date prefix; articles published on or before the end of the period it names."""

    def is_empty(self) -> bool:
        return not (self.article or self.source or self.since or self.until)

    def criteria(self) -> dict[str, ArticleFilter]:
        """Each active criterion alone, by field name (to say which one excluded what)."""
        found: dict[str, ArticleFilter] = {}
        for name in CRITERIA:
            value = getattr(self, name)
            if value:
                found[name] = ArticleFilter(**{name: value})
        return found
