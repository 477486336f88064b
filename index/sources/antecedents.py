"""Where in an article's text to look for the person a pronoun stands for: sentences (a
title's full stop ends none), the subject part of a sentence (after an opening phrase),
the text outside quotations, and the words the article writes in small letters. Part of
`index.sources.speakers`.
"""

from __future__ import annotations

import re

# A sentence ends at . ! or ?, but not after a title's abbreviation or an initial ("Mr.
# King's", "Laurence H. Tribe").
_SENTENCE_END = re.compile(
    r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSen)(?<!\bRep)(?<!\bGov)(?<!\bSt)"
    r"(?<!\b[A-Z])[.!?][\"”’]?\s+"
)
# A sentence that opens with an adverbial phrase or clause ("In an interview with Trending
# Today, Ham said ..."; "While he agreed ..., Ham noted"): its subject follows the comma.
_LEADING_ADVERBIAL = re.compile(
    r"\A\s*(?:In|At|On|After|Before|During|With|Without|Despite|Unlike|Like|While|When|"
    r"Although|Though|As|Since|Because|If|For|From|Following|Speaking|Asked|Responding|"
    r"Under|Over|Through|Throughout|Earlier|Later|Last|Meanwhile)\b[^,]{1,150},\s+"
)


_QUOTED = re.compile(r"“[^“”]*”|\"[^\"]*\"|''.*?''")


def unquoted(text: str) -> str:
    """`text` with what it quotes blanked: someone named in a quotation is not who says
    it ("“Obama is weak,” he said")."""
    return _QUOTED.sub(lambda quoted: " " * len(quoted.group()), text)


_LONG_WORD = re.compile(r"[^\W\d_][\w’'\-]{3,}")


def headline(text: str) -> bool:
    """Whether `text` is a headline in Title Case: every word of four letters or more
    capitalised, and a small word too ("Retired General Reveals Experience Of Serving Under
    Obama"). Its capitalised runs are no names."""
    words = _LONG_WORD.findall(text)
    if len(words) < 3 or not all(word[:1].isupper() for word in words):
        return False
    return any(word in _HEADLINE_SMALL_WORDS for word in _WORD.findall(text)[1:])


_WORD = re.compile(r"[^\W\d_][\w’'\-]*")
_HEADLINE_SMALL_WORDS = frozenset(
    """Of To In On For With Under About From After Over Into And The A An Is Are Says Will
    Than That By As At Up Out Not Be""".split()
)


# Titles that show the surname after them to be a person's ("Mr. Obama", "President Obama").
PERSON_TITLES = frozenset(
    """Mr Mrs Ms Miss Dr President Sen Senator Gov Governor Rep Representative Secretary
    Mayor Judge Justice Speaker Gen General Prof Professor""".split()
)
# A word in small letters in running text (not in an address: "huffpost.com/clinton").
_COMMON_WORD = re.compile(r"(?<![\w/.@#\-])[a-z]{2,}(?![\w/@\-]|\.\w)")


def split_sentences(text: str) -> list[str]:
    """`text` split into its sentences (the last may be unfinished)."""
    return _SENTENCE_END.split(text)


def subject_part(sentence: str) -> str:
    """The sentence from where its subject starts: after an opening phrase or clause."""
    leading = _LEADING_ADVERBIAL.match(sentence)
    return sentence[leading.end() :] if leading is not None else sentence


def common_words(texts: list[str]) -> set[str]:
    """The words `texts` write in small letters, in running text."""
    return {word for text in texts for word in _COMMON_WORD.findall(text)}
