"""Reported speech: what a sentence says someone said, quotation marks or not ("Peskov said
the reserve ...", "..., according to X"), the clauses one subject's verbs report in turn
("called it “A” and called for “B”"), and the record of a quote found in a paragraph.
Part of `index.sources.quotes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.sources import quote_cues as cues
from index.sources.quote_marks import Quoted

_AND_VERB = re.compile(r",?\s+and\s+(?:then\s+)?(?P<cue>[a-z]+(?:\s+for)?)\b")
_PAST = re.compile(r"[a-z]{3,}ed")
_TRAILING_PUNCTUATION = ".,;: "
_LONGEST_SENTENCE = 1000
_PATTERNS = (
    cues.ACCORDING_LEAD,
    cues.ACCORDING_TRAIL,
    cues.INDIRECT_TRAIL,
    cues.INDIRECT_TRAIL_VERB_FIRST,
)


@dataclass(slots=True)
class Found:
    """A quote found in one paragraph: character offsets into its text."""

    start: int
    end: int
    direct: bool
    cue: tuple[int, int] | None
    who: tuple[int, int] | None
    continued: bool = False
    """A quote with no cue of its own (a sentence or paragraph that is only quoted words):
    whoever spoke last goes on, if anyone did."""


def clause_end(text: str, sentence_end: int) -> int:
    """`sentence_end` moved back over the punctuation and blanks that close the sentence."""
    end = sentence_end
    while end > 0 and text[end - 1] in _TRAILING_PUNCTUATION:
        end -= 1
    return end


def indirect(text: str, start: int, end: int) -> Found | None:
    """Reported speech in the sentence text[start:end] (which holds no quotation mark)."""
    sentence = text[start : clause_end(text, end)]
    lead = cues.first_cue(sentence)
    # A sentence that opens with its speaker ("Phil Smith, a spokesman, said the union
    # ...") is read from the front, before any "..., X said" at its end.
    if lead is not None and not sentence[: lead[1][0]].strip():
        found = _after_cue(sentence, start, lead)
        if found is not None:
            return found
    # The patterns below try every comma; a run-on "sentence" (a list, a table flattened
    # into text) is left to the cue at its front.
    patterns = () if len(sentence) > _LONGEST_SENTENCE else _PATTERNS
    for pattern in patterns:
        match = pattern.match(sentence)
        if match is None or not reports_clause(match.group("cue"), match.group("content")):
            continue
        who = cues.trim_mention(sentence, match.start("who"), match.end("who"))
        if who is None:
            continue
        return Found(
            start + match.start("content"),
            start + match.end("content"),
            False,
            (start + match.start("cue"), start + match.end("cue")),
            (start + who[0], start + who[1]),
        )
    return _after_cue(sentence, start, lead) if lead is not None else None


def _after_cue(
    sentence: str, start: int, lead: tuple[tuple[int, int], tuple[int, int]]
) -> Found | None:
    (cue_start, cue_end), (who_start, who_end) = lead
    clause = cues.CLAUSE_AFTER_CUE.match(sentence, cue_end)
    if clause is None or not reports_clause(sentence[cue_start:cue_end], clause.group("content")):
        return None
    return Found(
        start + clause.start("content"),
        start + clause.end("content"),
        False,
        (start + cue_start, start + cue_end),
        (start + who_start, start + who_end),
    )


def reports_clause(cue: str, content: str) -> bool:
    """Whether `cue` reports `content` as said: a clause verb, or any cue with "that"."""
    cue = cue.lower()
    if content.startswith(("to ", "from ", "by ")):
        # "agreed to meet": a plan; "reported from Hawaii": a place; not something said.
        return False
    return cue in cues.CLAUSE_VERBS or cue == "according to" or content.startswith("that ")


def conjuncts(text: str, marks: list[Quoted], clause: Found) -> list[Found]:
    """'X called it “outrageous” and called for pay to be “clawed back”': one reported
    clause per verb joined by "and" between quotations, each its own quote by the same
    speaker (the second with its own cue)."""
    found = [clause]
    for previous, mark in zip(marks, marks[1:], strict=False):
        gap_start = previous.end + previous.width
        gap_end = mark.start - mark.width
        joined = _AND_VERB.search(text, gap_start, max(gap_start, gap_end))
        if joined is None or joined.start() <= found[-1].start:
            continue
        verb = joined.group("cue")
        if not (cues.is_speech_verb(verb.split()[0]) or _PAST.fullmatch(verb)):
            continue
        last = found[-1]
        content_start = joined.end()
        while content_start < len(text) and text[content_start] == " ":
            content_start += 1
        found[-1] = Found(last.start, joined.start(), True, last.cue, last.who)
        found.append(Found(content_start, last.end, True, joined.span("cue"), last.who))
    return found


def possessor_words(
    text: str, marks: list[Quoted], index: int, before: str, sentence_start: int, sentence_end: int
) -> tuple[list[Found], int] | None:
    """'Trump’s remark that Clinton “should be in jail” drew fire', 'Clinton’s response was
    swift: “...”': words named as someone's are theirs (the "that" clause, or the quotation
    after a colon)."""
    if "’s " not in before and "'s " not in before:
        return None
    match = cues.POSSESSOR_WORDS.search(before)
    if match is None:
        return None
    who = (sentence_start + match.start("who"), sentence_start + match.end("who"))
    cue = (sentence_start + match.start("cue"), sentence_start + match.end("cue"))
    mark = marks[index]
    if match.group("rest").rstrip().endswith(":"):
        return [Found(mark.start, mark.end, True, cue, who)], index + 1
    rest = match.group("rest")
    that = len(rest) - len(rest.lstrip()) + len(rest.split()[0]) + 1
    clause_start = sentence_start + match.start("rest") + that
    following = index + 1
    while following < len(marks) and marks[following].start < sentence_end:
        following += 1
    # The clause ends with its last quotation ('... “should be in jail” drew criticism').
    last = marks[following - 1]
    end = last.end + last.width if last.closed else clause_end(text, sentence_end)
    return [Found(clause_start, end, True, cue, who)], following
