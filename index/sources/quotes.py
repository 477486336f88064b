"""Who said what in an article: direct quotes and reported speech with their speakers.

`extract_quotes` is a pure function of an `Article`, run by the index build (only there:
`qa ask` never imports this module). It works paragraph by paragraph with regular
expressions compiled at import (`index.sources.quote_cues`): each pair of quotation marks
(`index.sources.quote_marks`) is matched to a speech cue and a speaker mention next to it,
and sentences with no quotation are tried for reported speech ("Peskov said the reserve
...", "according to X, ..."). Mentions are resolved to the fullest name of the person in
the article (`index.sources.speakers`). Boilerplate paragraphs yield nothing, and text
that fits no pattern (unbalanced or nested marks, a quote with nobody named) yields fewer
quotes, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.models import Article, Paragraph, Quote, TextSpan
from index.sources import quote_cues as cues
from index.sources.quote_marks import Quoted, quoted_spans, sentence_starts
from index.sources.speakers import SpeakerBook

_JOINER = re.compile(r"\A[\s,;:]*(?:(?:and|but|adding|continuing|before\s+adding)[\s,:]*)?\Z")
_TRAILING_PUNCTUATION = ".,;: "


@dataclass(slots=True)
class _Found:
    start: int
    end: int
    direct: bool
    cue: tuple[int, int] | None
    who: tuple[int, int] | None


def extract_quotes(article: Article) -> list[Quote]:
    """Every quote of `article` in reading order; boilerplate paragraphs are skipped."""
    paragraphs = [p for p in article.paragraphs if not p.boilerplate and p.text.strip()]
    book = SpeakerBook([article.title, *(p.text for p in paragraphs)])
    quotes: list[Quote] = []
    for paragraph in paragraphs:
        for found in _paragraph_quotes(paragraph.text):
            quotes.append(_to_quote(paragraph, found, book))
        book.saw_person(paragraph.text)
    return quotes


def _to_quote(paragraph: Paragraph, found: _Found, book: SpeakerBook) -> Quote:
    text = paragraph.text
    mention = _span(paragraph, found.who) if found.who else None
    speaker = None
    if mention is not None:
        speaker = book.resolve(mention.text, text[: mention.start])
        book.spoke(mention.text, speaker)
    return Quote(
        content=_span(paragraph, (found.start, found.end)),
        direct=found.direct,
        cue=_span(paragraph, found.cue) if found.cue else None,
        mention=mention,
        speaker=speaker,
    )


def _span(paragraph: Paragraph, bounds: tuple[int, int]) -> TextSpan:
    start, end = bounds
    return TextSpan(paragraph.ordinal, start, end, paragraph.text[start:end])


def _paragraph_quotes(text: str) -> list[_Found]:
    label = cues.TRANSCRIPT_LABEL.match(text)
    if label is not None:
        # "PENCE: Well, look, ...": a transcript line is its speaker's words throughout.
        end = _clause_end(text, len(text))
        if end - label.start("content") < 10:
            return []
        return [_Found(label.start("content"), end, True, label.span("cue"), label.span("who"))]
    marks = quoted_spans(text)
    starts = sentence_starts(text, marks)
    found: list[_Found] = []
    covered_sentences: set[int] = set()
    index = 0
    while index < len(marks):
        mark = marks[index]
        sentence = _sentence_of(starts, mark.start)
        sentence_start = starts[sentence]
        sentence_end = starts[sentence + 1] if sentence + 1 < len(starts) else len(text)
        after_end = _sentence_end_after(starts, mark.end + 2, len(text))
        result = _attribute(text, marks, index, sentence_start, sentence_end, after_end)
        if result is None:
            previous = found[-1] if found else None
            if previous is not None and _sentence_of(starts, previous.start) < sentence:
                # An unattributed quote after an attributed one: the same speaker goes on.
                previous.end = mark.end
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
        indirect = _indirect(text, start, end)
        if indirect is not None:
            found.append(indirect)
    found.sort(key=lambda f: f.start)
    return found


def _sentence_end_after(starts: list[int], offset: int, length: int) -> int:
    """The end of the sentence that holds `offset` (the next one if `offset` starts it)."""
    for start in starts:
        if start > offset:
            return start
    return length


def _sentence_of(starts: list[int], offset: int) -> int:
    sentence = 0
    for number, start in enumerate(starts):
        if start <= offset:
            sentence = number
    return sentence


def _attribute(
    text: str,
    marks: list[Quoted],
    index: int,
    sentence_start: int,
    sentence_end: int,
    after_end: int,
) -> tuple[list[_Found], int] | None:
    """The quote(s) that start with `marks[index]`, and the index of the next unused mark."""
    mark = marks[index]
    before = text[sentence_start : max(sentence_start, mark.start - 1)]
    lead = cues.last_cue(before) or _participle_cue(before)
    if lead is not None:
        (cue_start, cue_end), (who_start, who_end) = lead
        who = (sentence_start + who_start, sentence_start + who_end)
        cue = (sentence_start + cue_start, sentence_start + cue_end)
        rest_start = max(cue_end, who_end)
        rest = before[rest_start:]
        words_after = text[mark.end + 1 : sentence_end].split()
        # 'he said "budget reforms" would pay for it': quoted words inside a clause.
        in_a_clause = not rest.strip(" ") and len(words_after) >= 2
        if cues.INTRO_ONLY.match(rest) and not in_a_clause:
            lead_in = before[:who_start].rstrip()
            if lead_in.endswith(",") and len(lead_in) > 20:
                # "So when X happened, Mr. Barrett said, “we were floored.”": the whole
                # sentence is what he said.
                mark = Quoted(sentence_start, mark.end, mark.closed)
            quote, following = _join_split(
                text, marks, index, _Found(mark.start, mark.end, True, cue, who)
            )
            return [quote], following
        return _reported_clause(
            text, marks, index, sentence_start + rest_start, sentence_end, cue, who
        )
    embedded = bool(before.strip(" ,:;—-–(")) and not before.rstrip().endswith(":")
    after_start = mark.end + 1 if mark.closed else mark.end
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
            return None
        return _trailing_cue(text, marks, index, sentence_start, sentence_end) or _subject_uses(
            text, marks, index, before, sentence_start, sentence_end
        )
    if embedded:
        # 'The answers are "not meeting the demand," says X': the sentence is what X said.
        start = sentence_start + len(before) - len(before.lstrip())
    who_span = cues.trim_mention(after, trail.start("who"), trail.end("who"))
    if who_span is None:
        return None
    who = (after_start + who_span[0], after_start + who_span[1])
    cue = (after_start + trail.start("cue"), after_start + trail.end("cue"))
    quote, following = _join_split(text, marks, index, _Found(start, end, True, cue, who))
    found = [quote]
    tail_start = max(quote.end, who[1], cue[1])
    tail_end = sentence_end if tail_start < sentence_end else after_end
    added = cues.ADDING_CLAUSE.match(text, tail_start, tail_end)
    if added is not None and (following >= len(marks) or marks[following].start >= tail_end):
        clause_end = _clause_end(text, tail_end)
        if clause_end - added.start("content") > 10:
            found.append(_Found(added.start("content"), clause_end, False, added.span("cue"), who))
    return found, following


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
) -> tuple[list[_Found], int] | None:
    """'As a boss on “The Apprentice,” he demeaned women, according to insiders.'"""
    end = _clause_end(text, sentence_end)
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
        _Found(
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
) -> tuple[list[_Found], int] | None:
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
) -> tuple[list[_Found], int]:
    """A quoted phrase inside reported speech: the content is the reported clause."""
    while clause_start < len(text) and text[clause_start] in " ,":
        clause_start += 1
    end = _clause_end(text, sentence_end)
    following = index + 1
    while following < len(marks) and marks[following].start < sentence_end:
        following += 1
    end = max(end, marks[following - 1].end)
    return [_Found(clause_start, end, True, cue, who)], following


def _join_split(text: str, marks: list[Quoted], index: int, quote: _Found) -> tuple[_Found, int]:
    """Extend a quote over the parts that follow its cue ("“A,” he said, “B.”")."""
    following = index + 1
    while following < len(marks):
        between = text[marks[following - 1].end + 1 : max(0, marks[following].start - 1)]
        cue_end = quote.cue[1] if quote.cue else -1
        who_end = quote.who[1] if quote.who else -1
        gap_start = max(marks[following - 1].end + 1, cue_end, who_end)
        gap = text[gap_start : max(gap_start, marks[following].start - 1)]
        if not (
            _JOINER.match(between) or (gap_start < marks[following].start and _JOINER.match(gap))
        ):
            break
        quote.end = marks[following].end
        following += 1
    return quote, following


def _clause_end(text: str, sentence_end: int) -> int:
    end = sentence_end
    while end > 0 and text[end - 1] in _TRAILING_PUNCTUATION:
        end -= 1
    return end


def _indirect(text: str, start: int, end: int) -> _Found | None:
    """Reported speech in the sentence text[start:end] (which holds no quotation mark)."""
    sentence = text[start : _clause_end(text, end)]
    for pattern in (
        cues.ACCORDING_LEAD,
        cues.ACCORDING_TRAIL,
        cues.INDIRECT_TRAIL,
        cues.INDIRECT_TRAIL_VERB_FIRST,
    ):
        match = pattern.match(sentence)
        if match is None or not _reports_clause(match.group("cue"), match.group("content")):
            continue
        who = cues.trim_mention(sentence, match.start("who"), match.end("who"))
        if who is None:
            continue
        return _Found(
            start + match.start("content"),
            start + match.end("content"),
            False,
            (start + match.start("cue"), start + match.end("cue")),
            (start + who[0], start + who[1]),
        )
    lead = cues.first_cue(sentence)
    if lead is None:
        return None
    (cue_start, cue_end), (who_start, who_end) = lead
    clause = cues.CLAUSE_AFTER_CUE.match(sentence, cue_end)
    if clause is None or not _reports_clause(sentence[cue_start:cue_end], clause.group("content")):
        return None
    return _Found(
        start + clause.start("content"),
        start + clause.end("content"),
        False,
        (start + cue_start, start + cue_end),
        (start + who_start, start + who_end),
    )


def _reports_clause(cue: str, content: str) -> bool:
    """Whether `cue` reports `content` as said: a clause verb, or any cue with "that"."""
    cue = cue.lower()
    if content.startswith("to "):  # "agreed to meet": a plan, not something said
        return False
    return cue in cues.CLAUSE_VERBS or cue == "according to" or content.startswith("that ")
