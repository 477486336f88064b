"""PLACEHOLDER (quote-store branch only): a tiny regex quote finder so the storage and
the `qa quotes` command can be built and tested before the real extractor lands.
The real `extract_quotes` (helper "quote-extract") replaces this file on merge; nothing
here is meant to stay.

Finds text in double quotes (curly or straight) next to a capitalised name or a pronoun
and a speech verb, and resolves a surname or pronoun to the fullest name seen earlier.
"""

from __future__ import annotations

import re

from index.models import Article, Quote, TextSpan

_QUOTED = re.compile(r"[“\"]([^”\"]{2,}?)[”\"]")
_CUE = r"(said|says|told(?: reporters)?)"
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME = rf"((?:[{_UPPER}][\w\-’']+ )*[{_UPPER}][\w\-’']+)"
_AFTER = re.compile(r"^,?\s*(?:[^.“\"]*?\b)?" + _NAME + r" " + _CUE + r"\b")
_AFTER_PRONOUN = re.compile(r"^,?\s*(he|she) " + _CUE + r"\b")
_CUE_FIRST = re.compile(r"^,?\s*" + _CUE + r" " + _NAME)
_BEFORE = re.compile(_NAME + r"\b[^.“\"]*?\b" + _CUE + r"\b[^.“\"]*$")
_TITLES = {"President", "Prime", "Minister", "Mayor", "Mr", "Mrs", "Ms", "Dr", "The", "But"}


def extract_quotes(article: Article) -> list[Quote]:
    names: list[str] = []
    quotes: list[Quote] = []
    for paragraph in article.paragraphs:
        if paragraph.boilerplate:
            continue
        text = paragraph.text
        for run in re.finditer(_NAME, text):
            names.append(_strip_titles(run.group(1)))
        for match in _QUOTED.finditer(text):
            quote = _attribute(paragraph.ordinal, text, match, names)
            if quote is not None:
                quotes.append(quote)
    return quotes


def _attribute(ordinal: int, text: str, match: re.Match[str], names: list[str]) -> Quote | None:
    if len(match.group(1).split()) < 3:
        return None  # a scare quote ("reserve"), not something said
    content = TextSpan(ordinal, match.start(1), match.end(1), match.group(1))
    after = text[match.end() :]
    found = _AFTER.match(after)
    offset = match.end()
    if found is None:
        found = _AFTER_PRONOUN.match(after)
    if found is None and (first := _CUE_FIRST.match(after)):
        mention = TextSpan(ordinal, offset + first.start(2), offset + first.end(2), first.group(2))
        cue = TextSpan(ordinal, offset + first.start(1), offset + first.end(1), first.group(1))
        return Quote(content, True, cue, mention, _resolve(_strip_titles(first.group(2)), names))
    if found is None:
        before = text[: match.start()]
        found = _BEFORE.search(before)
        offset = 0
    if found is None:
        return None
    mention = TextSpan(ordinal, offset + found.start(1), offset + found.end(1), found.group(1))
    cue = TextSpan(ordinal, offset + found.start(2), offset + found.end(2), found.group(2))
    return Quote(content, True, cue, mention, _resolve(_strip_titles(found.group(1)), names))


def _strip_titles(name: str) -> str:
    words = [w for w in name.split() if w.rstrip("’'s") not in _TITLES and not w.endswith("’s")]
    return " ".join(words)


def _resolve(name: str, names: list[str]) -> str | None:
    if name.lower() in ("he", "she"):
        people = [n for n in names if " " in n]
        return people[-1] if people else None
    last = name.split()[-1] if name else ""
    fuller = [n for n in names if n.split() and n.split()[-1] == last and len(n) > len(name)]
    return max(fuller, key=len) if fuller else (name or None)
