"""Where quoted words and sentences lie in one paragraph: the character-level half of quote
extraction (`index.sources.quotes` decides what is a quote and who said it).

Pure functions over a paragraph's text; they never raise on odd text (unbalanced, nested or
mixed quotation marks, guillemets): a mark that cannot be paired is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPENING = frozenset("“„«")
CLOSING = frozenset("”»")
STRAIGHT = '"'


_OPENS_A_SENTENCE = re.compile(r"""[.!?]["”’]?\s+\Z""")


@dataclass(frozen=True, slots=True)
class Quoted:
    """Characters [start, end) between a pair of quotation marks (marks excluded)."""

    start: int
    end: int
    closed: bool
    """False when the paragraph ended before a closing mark (a quote running on)."""
    width: int = 1
    """Characters in each mark: 2 for the doubled apostrophes ('') some papers print."""


def quoted_spans(text: str) -> list[Quoted]:
    """Pairs of double quotation marks (straight, curly, guillemets), outermost only.

    A straight mark (or '') opens when no quote is open and closes one that is (writers
    mix straight and curly marks in one quote). A curly or angle opening mark inside an
    open curly quote is nested and kept inside the outer quote. An opening mark left
    unclosed at the end of the paragraph yields a span to the end only when it opens the
    paragraph or a sentence (a quote continued in the next paragraph: '“A,” X said. “B');
    otherwise it is dropped.
    """
    spans: list[Quoted] = []
    open_at = -1
    width = 1
    depth = 0
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        doubled = char == "'" and index + 1 < length and text[index + 1] == "'"
        if char == STRAIGHT or doubled:
            step = 2 if doubled else 1
            if open_at < 0:
                open_at, width, depth = index, step, 1
            elif text[open_at] in (STRAIGHT, "'") or step == 1:
                spans.append(Quoted(open_at + width, index, True, width))
                open_at = -1
            index += step
            continue
        if char in OPENING:
            if open_at < 0:
                open_at, width, depth = index, 1, 1
            elif text[open_at] not in (STRAIGHT, "'"):
                depth += 1
        elif char in CLOSING and open_at >= 0:
            depth -= 1
            if depth <= 0:
                spans.append(Quoted(open_at + width, index, True, width))
                open_at = -1
        index += 1
    if open_at >= 0 and (
        not text[:open_at].strip() or _OPENS_A_SENTENCE.search(text, max(0, open_at - 4), open_at)
    ):
        end = len(text.rstrip())
        if end > open_at + width:
            spans.append(Quoted(open_at + width, end, False, width))
    return [span for span in spans if span.end - span.start >= 2]


# A sentence ends at . ! ? (possibly followed by closing quotes or brackets) and blanks,
# before a capital, a digit or an opening quote (one mark, or the '' some papers print);
# not after a common abbreviation or an initial ("Sen.", "U.S.", "G.K.").
_SENTENCE_END = re.compile(r"""[.!?]+["”’')\]]*\s+(?=(?:["“‘(\[]|'')?[A-Z0-9])""")
_ABBREVIATION = re.compile(
    r"""(?:\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|Adm|Cmdr|Maj|Pres|Prof|Rev
    |St|Jr|Sr|Inc|Co|Corp|Ltd|No|vs|Ft|Mt|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec
    |U\.S|U\.N|U\.K|D\.C|[A-Z])|\b[a-z]\.[a-z])$""",
    re.VERBOSE,
)


def sentence_starts(text: str, quotes: list[Quoted]) -> list[int]:
    """Start offsets of the sentences of `text`, never inside a quotation."""
    starts = [0]
    for match in _SENTENCE_END.finditer(text):
        stop = match.start()
        # Inside a quotation unless the closing mark ends this sentence too.
        if any(q.start <= stop < q.end and match.end() <= q.end for q in quotes):
            continue
        if _ABBREVIATION.search(text[max(0, stop - 8) : stop]):
            continue
        starts.append(match.end())
    return starts


def sentence_of(starts: list[int], offset: int) -> int:
    """The number of the sentence (in `starts`) that holds `offset`."""
    sentence = 0
    for number, start in enumerate(starts):
        if start <= offset:
            sentence = number
    return sentence
