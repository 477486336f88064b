"""Why an answer has no passages, in words the user can act on.

An empty answer used to print "No confident answer..." then "No passages found."
whatever the cause. The cause is one of: a library with no articles; a filter that no
article passes (named, with how many articles it excluded, undated ones counted apart
for a date filter); filters that each keep some articles but none together; or a
words-only search whose words no passage holds. `explain_empty` finds which, with a few
counts over the articles table, only when an answer is empty.

Filters are named as the caller's user typed them: `--since` in the CLI, `/since` in
the chat (`prefix`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa.dates import UNDATED_SQL

if TYPE_CHECKING:
    from index.store.snapshot import IndexSnapshot
    from qa.retrieve import Filters


def explain_empty(
    snapshot: IndexSnapshot, filters: Filters | None, mode: str, prefix: str = "--"
) -> str | None:
    """Why a search of `snapshot` with `filters` found no passage; None if no reason shows."""
    total = snapshot.count_articles()
    if total == 0:
        return f"the library at {snapshot.index_dir} holds no articles yet"
    conditions = filters.conditions() if filters is not None else {}
    kept = {
        name: snapshot.count_articles(sql, params) for name, (sql, params) in conditions.items()
    }
    reasons = [
        _excluded_by(snapshot, filters, name, total, prefix)  # type: ignore[arg-type]  # filters is not None when it has conditions
        for name, count in kept.items()
        if count == 0
    ]
    if reasons:
        return "; ".join(reasons)
    scope = ""
    if conditions:
        together = snapshot.count_articles(*filters.sql())  # type: ignore[union-attr]  # filters is not None when it has conditions
        if together == 0:
            each = ", ".join(
                f"{_flag(filters, name, prefix)} keeps {kept[name]} of {total}"  # type: ignore[arg-type]  # filters is not None when it has conditions
                for name in conditions
            )
            return f"the filters together exclude all {_articles(total)} ({each})"
        scope = f"of the {_articles(together)} the filters keep "
    if mode == "bm25":
        return f"no passage {scope}holds a word of the question (the bm25 retriever matches words)"
    return None


def _excluded_by(
    snapshot: IndexSnapshot, filters: Filters, name: str, total: int, prefix: str
) -> str:
    flag = _flag(filters, name, prefix)
    value = getattr(filters, name)
    if name == "article":
        return (
            f"no article's file or title contains {value!r} ({prefix}{name} excludes all {total})"
        )
    if name == "source":
        sourceless = snapshot.count_articles("coalesce(trim(a.source), '') = ''")
        have = "has" if sourceless == 1 else "have"
        without = f"; {sourceless} of {total} {have} no source" if sourceless else ""
        return (
            f"no article's source contains {value!r} ({prefix}{name} excludes all {total}{without})"
        )
    undated = snapshot.count_articles(UNDATED_SQL)
    dated = total - undated
    parts = []
    if undated:
        parts.append(f"{_articles(undated, 'undated article')}")
    if dated:
        word = "before" if name == "since" else "after"
        parts.append(f"{_articles(dated)} published {word} {value}")
    if not dated:
        return f"{parts[0]} {'is' if undated == 1 else 'are'} excluded by {flag}"
    return f"{flag} excludes all {_articles(total)}: " + " and ".join(parts)


def _flag(filters: Filters, name: str, prefix: str) -> str:
    value = getattr(filters, name)
    shown = value if name in ("since", "until") else repr(value)
    return f"{prefix}{name} {shown}"


def _articles(count: int, noun: str = "article") -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
