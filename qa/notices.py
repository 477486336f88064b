"""Why an answer has no passages, in words the user can act on.

An empty answer used to print "No confident answer..." then "No passages found."
whatever the cause. The cause is one of: a library with no articles; a filter that no
article passes (named, with how many articles it excluded, undated ones counted apart
for a date filter); filters that each keep some articles but none together; or a
words-only search whose words no passage holds. `explain_empty` finds which, with a few
counts of articles the store makes (`Store.count_articles`, `Store.article_counts`),
only when an answer is empty.

Filters are named as the caller's user typed them: `--since` in the CLI, `/since` in
the chat (`prefix`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.plural import counted

if TYPE_CHECKING:
    from pathlib import Path

    from index.store.filters import ArticleFilter
    from index.store.interface import Store
    from index.store.records import ArticleCounts


def explain_empty(
    store: Store, location: Path, filters: ArticleFilter | None, mode: str, prefix: str = "--"
) -> str | None:
    """Why a search of `store` (the library at `location`) with `filters` found no passage.

    None if no reason shows.
    """
    counts = store.article_counts()
    total = counts.total
    if total == 0:
        return f"the library at {location} holds no articles yet"
    if filters is None or filters.is_empty():
        if mode == "bm25":
            return "no passage holds a word of the question (the bm25 retriever matches words)"
        return None
    criteria = filters.criteria()
    kept = {name: store.count_articles(alone) for name, alone in criteria.items()}
    reasons = [
        _excluded_by(counts, filters, name, prefix) for name, count in kept.items() if count == 0
    ]
    if reasons:
        return "; ".join(reasons)
    together = store.count_articles(filters)
    if together == 0:
        each = ", ".join(
            f"{_flag(filters, name, prefix)} keeps {kept[name]} of {total}" for name in criteria
        )
        return f"the filters together exclude all {counted(total, 'article')} ({each})"
    if mode == "bm25":
        scope = f"of the {counted(together, 'article')} the filters keep "
        return f"no passage {scope}holds a word of the question (the bm25 retriever matches words)"
    return None


def _excluded_by(counts: ArticleCounts, filters: ArticleFilter, name: str, prefix: str) -> str:
    flag = _flag(filters, name, prefix)
    value = getattr(filters, name)
    total = counts.total
    if name == "article":
        return (
            f"no article's file or title contains {value!r} ({prefix}{name} excludes all {total})"
        )
    if name == "source":
        sourceless = counts.sourceless
        have = "has" if sourceless == 1 else "have"
        without = f"; {sourceless} of {total} {have} no source" if sourceless else ""
        return (
            f"no article's source contains {value!r} ({prefix}{name} excludes all {total}{without})"
        )
    undated = counts.undated
    dated = total - undated
    parts = []
    if undated:
        parts.append(f"{counted(undated, 'undated article')}")
    if dated:
        word = "before" if name == "since" else "after"
        parts.append(f"{counted(dated, 'article')} published {word} {value}")
    if not dated:
        return f"{parts[0]} {'is' if undated == 1 else 'are'} excluded by {flag}"
    return f"{flag} excludes all {counted(total, 'article')}: " + " and ".join(parts)


def _flag(filters: ArticleFilter, name: str, prefix: str) -> str:
    value = getattr(filters, name)
    shown = value if name in ("since", "until") else repr(value)
    return f"{prefix}{name} {shown}"
