"""Words of a question or a passage: the content terms that lexical evidence compares.

Kept apart from `qa.scoring` (which needs numpy) so that who-said questions and the chat's
first frame can read a question's words without loading the numeric stack.
"""

from __future__ import annotations

import re
from functools import lru_cache

STOPWORDS = frozenset(
    "a an and are as at be by did do does for from had has have he her his how i in is it its "
    "of on or she that the their them they this to was were what when where which who whom "
    "why will with would you your".split()
)
_SUFFIXES = ("ings", "ing", "edly", "ed", "es", "s", "ly")
_WORD = re.compile(r"\w+")


def terms(text: str) -> list[str]:
    """Content words of a text, lightly stemmed so 'announced' meets 'announcing'.

    A few suffix rules rather than Porter: the overlap only has to agree with itself
    (question against sentence); FTS5 does its own stemming for BM25.
    """
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word
