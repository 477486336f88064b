"""Counts in words: "1 article", "2 articles", "0 passages".

Every message that prints a count before a noun goes through `counted`, so no user ever
reads "1 articles". It sits at the bottom of `index` because the index's own messages
(a build's notes, a refused build) count things too, and `qa` and `tui` import from here.
"""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and `noun`, the noun plural unless the count is exactly one.

    `plural` is for nouns that do not just take an "s" ("1 was", "2 were" aside).
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
