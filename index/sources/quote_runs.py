"""Whom a quotation with no cue of its own belongs to: quoted words that run on after
their cue's sentence ('“A,” X said. “B.”'), into the next paragraph, or after a colon
('Her answer was blunt:'). Part of `index.sources.quotes`: the paragraph rules mark such
a quotation `continued`, and `carry_on` gives it the speaker who went before, if any.
"""

from __future__ import annotations

import re

from index.models import Paragraph, Quote, TextSpan
from index.sources import quote_cues as cues
from index.sources.quote_marks import Quoted, sentence_of, sentence_starts
from index.sources.reported_speech import Found
from index.sources.speakers import SpeakerBook

# Two to eight words, each long one capitalised, no sentence inside: the title of a
# work or a nickname, not someone's words.
_TITLE_CASE = re.compile(
    r"(?:(?:[A-Z0-9][\w’'\-]*|[a-z][\w’'\-]{0,2})[\s,]+){1,7}[A-Z0-9][\w’'\-]*[,.!?]?\s*\Z"
)


def is_title(text: str, mark: Quoted) -> bool:
    """Whether the quotation is a title or a nickname (''Make Your Kid a Millionaire'')."""
    return _TITLE_CASE.match(text, mark.start, mark.end) is not None


_MARKS = "\"“”„«»'"
_FEWEST_WORDS_CARRIED = 3
"""Quoted words with no cue of their own are a quote only from this many words: fewer are
a title, a nickname or a scare quote."""


def last_of(quotes: list[Quote], paragraph: Paragraph | None) -> Quote | None:
    """The last quote found in `paragraph` (the one before the current), if any."""
    if paragraph is None or not quotes or quotes[-1].content.paragraph != paragraph.ordinal:
        return None
    return quotes[-1]


def colon_intro(paragraph: Paragraph | None, book: SpeakerBook) -> Quote | None:
    """'Her answer was blunt:' closing a paragraph hands the next one's quotation to the
    sentence's subject: that subject as a quote with no content yet, else None."""
    if paragraph is None or not paragraph.text.rstrip().endswith(":"):
        return None
    text = paragraph.text.rstrip()
    start = sentence_starts(text, [])[-1]
    subject = cues.SUBJECT_AT_START.match(text[start:])
    if subject is None:
        return None
    who = cues.trim_mention(text, start + subject.start("who"), start + subject.end("who"))
    if who is None:
        return None
    colon = Found(len(text) - 1, len(text) - 1, True, (len(text) - 1, len(text)), who)
    return to_quote(paragraph, colon, book)


def carry_on(
    paragraph: Paragraph,
    found: Found,
    ours: list[Quote],
    before: Quote | None,
    book: SpeakerBook,
) -> Quote | None:
    """`found` as a quote; one with no cue of its own goes on from the last speaker: the
    paragraph's last quote, else the speaker of the sentence before, else the previous
    paragraph's last quote when it was direct (a quotation running over paragraphs).
    Otherwise nobody is known to say it: dropped."""
    if not found.continued:
        return to_quote(paragraph, found, book)
    content = paragraph.text[found.start : found.end]
    if len(content.split()) < _FEWEST_WORDS_CARRIED or content.lstrip().startswith(("(", "[")):
        return None
    if found.who is not None:
        return to_quote(paragraph, found, book)  # this paragraph named its speaker
    last = ours[-1] if ours else before
    if last is None or last.mention is None or not (last.direct or ours):
        return None
    if last.mention.text.isupper() and not ours:
        # A transcript labels every turn ('PENCE: ...'); an unlabelled line is crosstalk,
        # a stage direction or the page's own words.
        return None
    return Quote(
        content=span(paragraph, (found.start, found.end)),
        direct=True,
        cue=last.cue,
        mention=last.mention,
        speaker=last.speaker,
    )


def to_quote(paragraph: Paragraph, found: Found, book: SpeakerBook) -> Quote:
    text = paragraph.text
    mention = span(paragraph, found.who) if found.who else None
    speaker = None
    if mention is not None:
        speaker = book.resolve(mention.text, text[: mention.start], text[mention.end :])
        book.spoke(mention.text, speaker)
    return Quote(
        content=span(paragraph, (found.start, found.end)),
        direct=found.direct,
        cue=span(paragraph, found.cue) if found.cue else None,
        mention=mention,
        speaker=speaker,
    )


def span(paragraph: Paragraph, bounds: tuple[int, int]) -> TextSpan:
    start, end = bounds
    return TextSpan(paragraph.ordinal, start, end, paragraph.text[start:end])


def cue_of(
    text: str, start: int, end: int, previous: Found | None
) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """(speaker mention, cue) of the speech verb with a subject in text[start:end]: the
    first, or the last after a quote found before (the cue nearest what follows)."""
    lead = (cues.last_cue if previous else cues.first_cue)(text[start:end])
    if lead is None:
        return None, None
    (cue_start, cue_end), (who_start, who_end) = lead
    return (start + who_start, start + who_end), (start + cue_start, start + cue_end)


def goes_on(text: str, starts: list[int], previous: Found, sentence: int) -> bool:
    """Whether `sentence` directly follows the one that ends `previous`'s attribution,
    `previous` being a quotation itself (not a clause reporting one: 'X said she felt
    “A,” she said. “B.”' is two quotes)."""
    if not previous.direct or previous.who is None:
        return False
    if previous.start == 0 or text[previous.start - 1] not in _MARKS:
        return False
    said_at = max(previous.end, previous.who[1], previous.cue[1] if previous.cue else 0)
    return sentence_of(starts, said_at) + 1 == sentence


def stands_alone(text: str, mark: Quoted, sentence_start: int, after_end: int) -> bool:
    """Whether the quotation is its sentence, but for punctuation around it."""
    if text[sentence_start : max(sentence_start, mark.start - mark.width)].strip(" (['‘—–-"):
        return False
    if is_title(text, mark):
        return False
    if not mark.closed:
        return True
    # '“You went on television to blame thousands of $12-an-hour” workers.': a word or two
    # may finish the sentence the quotation makes.
    tail = text[mark.end + mark.width : after_end].strip(" .,;:!?)]’'\u00a0")
    return len(tail.split()) <= _FEWEST_WORDS_CARRIED - 1 and not any(m in tail for m in _MARKS)
