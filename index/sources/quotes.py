"""Who said what in an article: direct quotes and reported speech with their speakers.

`extract_quotes` is a pure function of an `Article`, run by the index build (only there:
`qa ask` never imports this module). It works paragraph by paragraph with regular
expressions compiled at their first use (`index.sources.quote_cues`): each pair of
quotation marks (`index.sources.quote_marks`) is matched to a speech cue and a speaker
mention next to it, and sentences with no quotation are tried for reported speech
("Peskov said the reserve ...", "according to X, ..."). Mentions are resolved to the
fullest name of the person in the article (`index.sources.speakers`; "he" and "she" skip
people the article shows to be of the other sex, `index.sources.genders`). Boilerplate
paragraphs yield nothing, and text that fits no pattern (unbalanced or nested marks, a
quote with nobody named) yields fewer quotes, never an error.
"""

from __future__ import annotations

import re

from index.models import Article, Paragraph, Quote
from index.sources import quote_cues as cues
from index.sources.quote_marks import Quoted, quoted_spans, sentence_of, sentence_starts
from index.sources.quote_runs import (
    carry_on,
    colon_intro,
    cue_of,
    goes_on,
    is_title,
    last_of,
    stands_alone,
)
from index.sources.reported_speech import Found, clause_end, conjuncts, indirect, possessor_words
from index.sources.speakers import SpeakerBook

_JOINER = re.compile(r"\A[\s,;:]*(?:(?:and|but|adding|continuing|before\s+adding)[\s,:]*)?\Z")


_THAT = re.compile(r"\bthat\s+")
_THAT_AT_END = re.compile(r"\bthat\s+\Z")
_NEW_CLAUSE = re.compile(r"[,;—]\s*(?:though|although|but|while|whereas|yet|and|so|because)\b|;")

MAX_QUOTED_PARAGRAPH = 20_000
"""Characters a paragraph may hold and still be searched for quotes. News paragraphs run
to a few hundred; past this it is a table, a dump or an attack, and the rules' cost must
not follow it (text from files is untrusted)."""


def extract_quotes(article: Article) -> list[Quote]:
    """Every quote of `article` in reading order; boilerplate and oversized paragraphs are
    skipped."""
    paragraphs = [
        p
        for p in article.paragraphs
        if not p.boilerplate and p.text.strip() and len(p.text) <= MAX_QUOTED_PARAGRAPH
    ]
    book = SpeakerBook([p.text for p in paragraphs], title=article.title)
    quotes: list[Quote] = []
    previous: Paragraph | None = None
    for paragraph in paragraphs:
        ours: list[Quote] = []
        for found in _paragraph_quotes(paragraph.text):
            before = last_of(quotes, previous) or colon_intro(previous, book)
            quote = carry_on(paragraph, found, ours, before, book)
            if quote is not None:
                ours.append(quote)
        quotes.extend(ours)
        book.saw_person(paragraph.text)
        previous = paragraph
    return quotes


def _paragraph_quotes(text: str) -> list[Found]:
    label = cues.TRANSCRIPT_LABEL.match(text)
    if label is not None:
        # "PENCE: Well, look, ...": a transcript line is its speaker's words throughout.
        end = clause_end(text, len(text))
        if end - label.start("content") < 10:
            return []
        return [Found(label.start("content"), end, True, label.span("cue"), label.span("who"))]
    marks = quoted_spans(text)
    starts = sentence_starts(text, marks)
    found: list[Found] = []
    covered_sentences: set[int] = set()
    index = 0
    while index < len(marks):
        mark = marks[index]
        sentence = sentence_of(starts, mark.start)
        sentence_start = starts[sentence]
        sentence_end = starts[sentence + 1] if sentence + 1 < len(starts) else len(text)
        after_end = _sentence_end_after(starts, mark.end + mark.width + 1, len(text))
        result = _attribute(text, marks, index, sentence_start, sentence_end, after_end)
        if result is None:
            if stands_alone(text, mark, starts[sentence], after_end):
                # Quoted words with no cue, after an attributed quote ('“A,” X said. “B.”')
                # or opening a paragraph: whoever spoke last goes on (see `carry_on`).
                previous = found[-1] if found else None
                if previous is not None and goes_on(text, starts, previous, sentence):
                    # '“A,” X said. “B.”': one quote, split by its cue (as "“A,” X said, “B.”").
                    previous.end = mark.end
                else:
                    who, cue = (previous.who, previous.cue) if previous else (None, None)
                    if sentence > 0:
                        # 'Cummings called him a master. “He showed ...”': the speaker of
                        # the sentence before goes on (its last cue: '..., she said.').
                        near = cue_of(text, starts[sentence - 1], starts[sentence], previous)
                        who, cue = (near[0], near[1]) if near[0] else (who, cue)
                    found.append(Found(mark.start, mark.end, True, cue, who, continued=True))
            index += 1
            continue
        quotes, index = result
        found.extend(quotes)
        covered_sentences.add(sentence)
    for sentence, start in enumerate(starts):
        if sentence in covered_sentences:
            continue
        end = starts[sentence + 1] if sentence + 1 < len(starts) else len(text)
        if any(start <= m.start < end for m in marks):
            continue
        reported = indirect(text, start, end)
        if reported is not None:
            found.append(reported)
    found.sort(key=lambda f: f.start)
    return found


def _sentence_end_after(starts: list[int], offset: int, length: int) -> int:
    """The end of the sentence that holds `offset` (the next one if `offset` starts it)."""
    for start in starts:
        if start > offset:
            return start
    return length


def _attribute(
    text: str,
    marks: list[Quoted],
    index: int,
    sentence_start: int,
    sentence_end: int,
    after_end: int,
) -> tuple[list[Found], int] | None:
    """The quote(s) that start with `marks[index]`, and the index of the next unused mark."""
    mark = marks[index]
    before = text[sentence_start : max(sentence_start, mark.start - mark.width)]
    lead = cues.last_cue(before) or _participle_cue(before) or _inverted_cue(before)
    if lead is not None and _colon_then_trail(text, mark, before, after_end):
        lead = None
    if lead is not None:
        (cue_start, cue_end), (who_start, who_end) = lead
        said = _outer_cue(before, lead)
        earlier = marks[index - 1].end if index else -1
        named = is_title(text, mark) or text[mark.start : mark.end].istitle()
        if sentence_start < earlier < sentence_start + cue_start and named:
            return None  # '“A,” he told NBC's “Today” show': the show, not a new quote
        who = (sentence_start + said[1][0], sentence_start + said[1][1])
        cue = (sentence_start + said[0][0], sentence_start + said[0][1])
        rest_start = max(cue_end, who_end)
        rest = before[rest_start:]
        inner = cues.POSSESSOR_WORDS.search(before, rest_start) if "s " in rest else None
        if inner is not None and not inner.group("rest").rstrip().endswith(":"):
            # 'Clinton mocked Trump’s claim that he is “a genius”': Trump's words.
            return possessor_words(text, marks, index, before, sentence_start, sentence_end)
        if said is not lead and before[who_start:who_end].lower() not in cues.PRONOUNS:
            if cues.INTRO_ONLY.match(rest):
                said = lead  # 'X said that Y told him: “...”': Y's words
                who = (sentence_start + who_start, sentence_start + who_end)
                cue = (sentence_start + cue_start, sentence_start + cue_end)
            else:
                rest_start = said[0][1]
                rest = before[rest_start:]
        words_after = text[mark.end + mark.width : sentence_end].split()
        # 'he said "budget reforms" would pay for it': quoted words inside a clause.
        in_a_clause = not rest.strip(" ") and len(words_after) >= 2
        if cues.INTRO_ONLY.match(rest) and not in_a_clause:
            lead_in = before[:who_start].rstrip()
            if lead_in.endswith(",") and len(lead_in) > 20 and text[mark.start].islower():
                # "So when X happened, Mr. Barrett said, “we were floored.”": the whole
                # sentence is what he said.
                mark = Quoted(sentence_start, mark.end, mark.closed)
            quote, following = _join_split(
                text, marks, index, Found(mark.start, mark.end, True, cue, who)
            )
            return [quote], following
        return _reported_clause(
            text, marks, index, sentence_start + rest_start, sentence_end, cue, who
        )
    embedded = bool(before.strip(" ,:;—-–(")) and not before.rstrip().endswith(":")
    after_start = mark.end + mark.width if mark.closed else mark.end
    # "“Why?” Vitter demanded." is one sentence although a sentence could end after "?”".
    after = text[after_start : min(after_end, after_start + 240)]
    trail = (
        cues.AFTER_VERB_FIRST.match(after)
        or cues.AFTER_WHO_FIRST.match(after)
        or cues.AFTER_ACCORDING.match(after)
    )
    start, end = mark.start, mark.end
    if trail is None:
        trail = cues.AFTER_GAP.match(after)
        if trail is not None:
            end = after_start + trail.end("gap")
    if trail is None:
        if not embedded:
            return _after_colon(text, marks, index, before, sentence_start) or possessor_words(
                text, marks, index, before, sentence_start, sentence_end
            )
        return (
            _trailing_cue(text, marks, index, sentence_start, sentence_end)
            or _subject_uses(text, marks, index, before, sentence_start, sentence_end)
            or possessor_words(text, marks, index, before, sentence_start, sentence_end)
        )
    if is_title(text, mark):
        # 'In his book, “Make Your Kid a Millionaire,” X wrote ...': a title or a nickname
        # before a cue is not what the cue reports.
        return None
    if embedded:
        # 'The answers are "not meeting the demand," says X': the sentence is what X said.
        start = sentence_start + len(before) - len(before.lstrip())
    who_span = cues.trim_mention(after, trail.start("who"), trail.end("who"))
    if who_span is None:
        return None
    who = (after_start + who_span[0], after_start + who_span[1])
    cue = (after_start + trail.start("cue"), after_start + trail.end("cue"))
    quote, following = _join_split(text, marks, index, Found(start, end, True, cue, who))
    found = [quote]
    tail_start = max(quote.end, who[1], cue[1])
    tail_end = sentence_end if tail_start < sentence_end else after_end
    added = cues.ADDING_CLAUSE.match(text, tail_start, tail_end)
    if added is not None and (following >= len(marks) or marks[following].start >= tail_end):
        added_end = clause_end(text, tail_end)
        if added_end - added.start("content") > 10:
            found.append(Found(added.start("content"), added_end, False, added.span("cue"), who))
    return found, following


def _colon_then_trail(
    text: str,
    mark: Quoted,
    before: str,
    after_end: int,
) -> bool:
    """'The statement said it would help her: “A,” the union wrote.': a quotation after a
    colon that is attributed right after it belongs to that attribution, not to a cue
    earlier in the sentence."""
    if not before.rstrip().endswith(":") or not mark.closed:
        return False
    after = text[mark.end + mark.width : min(after_end, mark.end + mark.width + 240)]
    return bool(cues.AFTER_VERB_FIRST.match(after) or cues.AFTER_WHO_FIRST.match(after))


def _after_colon(
    text: str, marks: list[Quoted], index: int, before: str, sentence_start: int
) -> tuple[list[Found], int] | None:
    """'Clinton was blunt: “We are ready.”': a colon hands the sentence to a quotation,
    which its subject said (any verb, not only a speech verb)."""
    mark = marks[index]
    colon = before.rstrip()
    if not colon.endswith(":") or not text[mark.start : mark.start + 1].isupper():
        return None
    subject = cues.SUBJECT_AT_START.match(colon)
    if subject is None:
        return None
    who = cues.trim_mention(colon, subject.start("who"), subject.end("who"))
    if who is None:
        return None
    cue = (sentence_start + len(colon) - 1, sentence_start + len(colon))
    who = (sentence_start + who[0], sentence_start + who[1])
    return [Found(mark.start, mark.end, True, cue, who)], index + 1


def _outer_cue(
    before: str, lead: tuple[tuple[int, int], tuple[int, int]]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """'Lynch said she recalled thinking, “...”': a pronoun's cue inside what an earlier
    speech verb reports is the outer speaker's (same person, named): that verb instead.
    So is a named subject's after "that" ('Trump said that Clinton once described the deal
    as “the gold standard”': Trump says so), unless its cue introduces the quotation."""
    who = lead[1]
    pronoun = before[who[0] : who[1]].lower() in cues.PRONOUNS
    if not pronoun and not _THAT_AT_END.search(before, 0, who[0]):
        return lead
    outer = cues.first_cue(before[: who[0]])
    if outer is None or before[outer[0][0] : outer[0][1]].lower() not in cues.CLAUSE_VERBS:
        return lead
    if _NEW_CLAUSE.search(before, outer[0][1], who[0]):
        # 'X did not supply a cost estimate, though he said “...”': the pronoun opens a
        # clause of its own, not one the earlier verb reports.
        return lead
    return outer


def _inverted_cue(before: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """'Said Smith: “...”': the verb before its subject, the quotation right after."""
    inverted = cues.INVERTED_LEAD.match(before)
    if inverted is None:
        return None
    who = cues.trim_mention(before, inverted.start("who"), inverted.end("who"))
    return (inverted.span("cue"), who) if who is not None else None


def _participle_cue(before: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """'Groups granted an extension, saying his "capital ..."': the cue and the subject."""
    participle = cues.PARTICIPLE_CUE.search(before)
    if participle is None:
        return None
    subject = cues.SUBJECT_AT_START.match(before)
    if subject is None or subject.end("who") > participle.start():
        return None
    who = cues.trim_mention(before, subject.start("who"), subject.end("who"))
    return (participle.span("cue"), who) if who is not None else None


def _trailing_cue(
    text: str, marks: list[Quoted], index: int, sentence_start: int, sentence_end: int
) -> tuple[list[Found], int] | None:
    """'As a boss on “The Apprentice,” he demeaned women, according to insiders.'"""
    end = clause_end(text, sentence_end)
    sentence = text[sentence_start:end]
    match = cues.ACCORDING_TRAIL.match(sentence) or cues.INDIRECT_TRAIL.match(sentence)
    if match is None:
        return None
    who = cues.trim_mention(sentence, match.start("who"), match.end("who"))
    if who is None or match.end("content") < marks[index].end - sentence_start:
        return None
    following = index + 1
    while following < len(marks) and marks[following].start < sentence_end:
        following += 1
    return [
        Found(
            sentence_start + match.start("content"),
            sentence_start + match.end("content"),
            True,
            (sentence_start + match.start("cue"), sentence_start + match.end("cue")),
            (sentence_start + who[0], sentence_start + who[1]),
        )
    ], following


def _subject_uses(
    text: str,
    marks: list[Quoted],
    index: int,
    before: str,
    sentence_start: int,
    sentence_end: int,
) -> tuple[list[Found], int] | None:
    """Quoted words the sentence's subject uses ('Trump called the senator a "nasty guy"')."""
    subject = cues.SUBJECT_AT_START.match(before)
    if subject is None:
        return None
    subject_who = cues.trim_mention(before, subject.start("who"), subject.end("who"))
    if subject_who is None:
        return None
    who = (sentence_start + subject_who[0], sentence_start + subject_who[1])
    cue = (sentence_start + subject.start("cue"), sentence_start + subject.end("cue"))
    return _reported_clause(text, marks, index, cue[1], sentence_end, cue, who)


def _reported_clause(
    text: str,
    marks: list[Quoted],
    index: int,
    clause_start: int,
    sentence_end: int,
    cue: tuple[int, int],
    who: tuple[int, int],
) -> tuple[list[Found], int]:
    """A quoted phrase inside reported speech: the content is the reported clause."""
    while clause_start < len(text) and text[clause_start] in " ,":
        clause_start += 1
    # 'told reporters Monday that the plan was “a disaster”': what was said starts after
    # "that" (when it comes before the quotation).
    that = _THAT.search(text, clause_start, min(marks[index].start, clause_start + 60))
    if that is not None:
        clause_start = that.end()
    end = clause_end(text, sentence_end)
    following = index + 1
    while following < len(marks) and marks[following].start < sentence_end:
        following += 1
    end = max(end, marks[following - 1].end)
    return conjuncts(text, marks[index:following], Found(clause_start, end, True, cue, who)), (
        following
    )


def _join_split(text: str, marks: list[Quoted], index: int, quote: Found) -> tuple[Found, int]:
    """Extend a quote over the parts that follow its cue ("“A,” he said, “B.”")."""
    following = index + 1
    while following < len(marks):
        previous, next_mark = marks[following - 1], marks[following]
        between = text[previous.end + previous.width : max(0, next_mark.start - next_mark.width)]
        cue_end = quote.cue[1] if quote.cue else -1
        who_end = quote.who[1] if quote.who else -1
        gap_start = max(previous.end + previous.width, cue_end, who_end)
        gap = text[gap_start : max(gap_start, next_mark.start - next_mark.width)]
        if not (
            _JOINER.match(between) or (gap_start < marks[following].start and _JOINER.match(gap))
        ):
            break
        quote.end = marks[following].end
        following += 1
    return quote, following
