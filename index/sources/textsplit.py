"""Sentence and passage boundaries inside one paragraph, as character spans.

The model reads at most a few hundred word pieces, so a long paragraph must be cut into
windows that fit, or its tail would be silently truncated and never found. Windows are cut
at sentence ends so that each one reads as prose, and they overlap by a sentence so that
an answer near a cut is whole in at least one of them. Everything here is plain regular
expressions: no model, no torch, fast enough for a multi-megabyte paragraph.

A file is untrusted, so its shape must not decide the cost: an 18 MB paragraph without a
sentence end or a space once took gigabytes here (the tokenizer counted the whole of it,
then every word of it at once). Work and memory stay linear in the text: tokens are
counted in bounded batches, and no passage or sentence is longer than `MAX_CHUNK_CHARS`,
whatever its token count (a word-piece tokenizer counts a 1 MB word as one token).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from index.models import Span

CountTokens = Callable[[list[str]], list[int]]

MAX_CHUNK_CHARS = 4_000
"""Longest passage or sentence in characters. About three times the longest one in the
1,062 articles of the eval sets (1,412), so no real article is cut by it; only a run of
text that counts few tokens for its length (giant words, control characters) meets it."""
COUNT_BATCH_CHARS = 65_536
"""Characters handed to the tokenizer per call: its per-token bookkeeping is large, so
counting a multi-megabyte text in one call is what made memory grow with the text."""

# Titles and other abbreviations that sit in front of a name or a number: a period after
# them is never the end of a sentence.
_NEVER_FINAL = frozenset(
    """mr mrs ms messrs mme mlle dr prof rev fr hon sr jr st mt ft gen lt col maj capt cmdr
    adm sgt cpl pvt gov sen rep pres supt insp det atty esq vs v cf viz e.g i.e a.k.a c approx
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)

# Abbreviations that are also ordinary words or often end a sentence ("the answer was
# no.", "in the U.S. The next day"): a period after them ends the sentence only when the
# next word is a typical sentence opener.
_SOMETIMES_FINAL = frozenset(
    """etc inc ltd corp co bros plc llc a.m p.m u.s u.k u.n e.u no nos vol vols pp fig figs
    art ch sec para ed eds al ca""".split()
)

_OPENERS = frozenset(
    """the a an he she it they we i you his her its their our my this that these those
    there here in on at by for from with after before when while since during as if but
    and so yet however meanwhile still then now also according officials police many
    some most one two three several""".split()
)

# A candidate end: terminal punctuation, optional closing quotes/brackets, then space.
_END = re.compile(r"""(?:[.!?]+|\u2026)["'\u201d\u2019)\]]*(?=\s)|[\u3002\uff01\uff1f]+""")
_WORD_BEFORE = re.compile(r"(\S+?)[.!?\u2026]*$")
_NEXT_WORD = re.compile(r"""\s*["'\u201c\u2018(\[]*(\S+)""")
_WORDS = re.compile(r"\S+")
# Greedy up to the last whitespace of a window: where an over-long sentence is cut.
_UP_TO_LAST_SPACE = re.compile(r".*\s", re.DOTALL)
_SPACES = re.compile(r"\s*")


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of `text`, in order, trimmed, together covering all non-space text.

    A sentence over `MAX_CHUNK_CHARS` (text without sentence ends) is cut into pieces of
    at most that many characters, at whitespace where there is any.
    """
    spans: list[Span] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        if _is_sentence_end(text, match.start(), end):
            _add_capped(spans, text, start, end)
            start = end
    _add_capped(spans, text, start, len(text))
    return spans


def _is_sentence_end(text: str, punct_start: int, end: int) -> bool:
    punct = text[punct_start:end]
    if punct[0] in "\u3002\uff01\uff1f":
        return True
    following = _NEXT_WORD.match(text, end)
    if following is None:
        return True
    next_word = following.group(1)
    first = next_word[0]
    # A lower-case continuation ("e.g. apples", "said... and") is never a new sentence.
    if first.islower():
        return False
    if not (first.isalnum() or first in "$\u20ac\u00a3\u00bf\u00a1"):
        return False
    if punct.startswith(("!", "?")) or punct.startswith(".."):
        return True
    word_match = _WORD_BEFORE.search(text, 0 if punct_start < 40 else punct_start - 40, punct_start)
    before = word_match.group(1) if word_match else ""
    # Strip opening quotes or brackets glued to the word: `("Dr.` is still "dr".
    bare = before.lstrip("\"'\u201c\u2018([").lower()
    opener = next_word.strip("\"'\u201c\u2018([,;:").lower() in _OPENERS
    if bare in _NEVER_FINAL:
        return False
    if bare in _SOMETIMES_FINAL or re.fullmatch(r"(?:[a-z]\.)+[a-z]", bare):
        return opener
    # A lone capital is an initial ("John F. Kennedy") unless a sentence clearly follows.
    if len(bare) == 1 and bare.isalpha() and before[-1:].isupper():
        return opener
    return True


def _add_trimmed(spans: list[Span], text: str, start: int, end: int) -> None:
    start = _after_spaces(text, start, end)
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append(Span(start, end))


def _add_capped(spans: list[Span], text: str, start: int, end: int) -> None:
    """`_add_trimmed`, cutting a span over `MAX_CHUNK_CHARS` at its last fitting space."""
    start = _after_spaces(text, start, end)
    while end - start > MAX_CHUNK_CHARS:
        limit = start + MAX_CHUNK_CHARS
        space = _UP_TO_LAST_SPACE.match(text, start, limit)
        # No space after the first character: a run without spaces is cut where it must be.
        cut = space.end() - 1 if space and space.end() - 1 > start else limit
        _add_trimmed(spans, text, start, cut)
        start = _after_spaces(text, cut, end)
    _add_trimmed(spans, text, start, end)


def _after_spaces(text: str, start: int, end: int) -> int:
    """The first non-space position from `start` (one regex scan, not a loop per space)."""
    match = _SPACES.match(text, start, end)
    return match.end() if match else start


def passage_spans(text: str, count_tokens: CountTokens, max_tokens: int) -> list[Span]:
    """Windows of `text` that each fit `max_tokens`, cut at sentence ends, overlapping.

    A paragraph that fits is one passage over the whole text. A longer one becomes windows
    of whole sentences, each sharing its first sentence with the previous window's last;
    a sentence too long on its own is cut at word boundaries. The windows together cover
    every non-space character: no text is ever dropped. No window is longer than
    `MAX_CHUNK_CHARS` characters, so together they hold at most twice the text.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
    if not text.strip():
        return []
    if len(text) <= MAX_CHUNK_CHARS and count_tokens([text])[0] <= max_tokens:
        return [Span(0, len(text))]
    units, counts = _fitting_units(text, count_tokens, max_tokens)
    windows = _pack(units, counts, max_tokens)
    # Summed unit counts are exact for word-piece tokenisers (units meet at whitespace or
    # punctuation); re-count anyway, and re-pack the rare window that does not fit.
    texts = (text[units[first].start : units[last].end] for first, last in windows)
    result: list[Span] = []
    for (first, last), tokens in zip(windows, counted(count_tokens, texts), strict=True):
        if tokens <= max_tokens:
            result.append(Span(units[first].start, units[last].end))
        else:
            result.extend(_repack(text, units[first : last + 1], count_tokens, max_tokens))
    return sorted(set(result), key=lambda s: (s.start, s.end))


def counted(count_tokens: CountTokens, texts: Iterable[str]) -> list[int]:
    """`count_tokens` over `texts`, called on batches of at most `COUNT_BATCH_CHARS`."""
    counts: list[int] = []
    batch: list[str] = []
    size = 0
    for piece in texts:
        if batch and size + len(piece) > COUNT_BATCH_CHARS:
            counts.extend(count_tokens(batch))
            batch, size = [], 0
        batch.append(piece)
        size += len(piece)
    if batch:
        counts.extend(count_tokens(batch))
    return counts


def _repack(
    text: str, units: Sequence[Span], count_tokens: CountTokens, max_tokens: int
) -> list[Span]:
    """Windows over `units` measured by counting each candidate's real text (slow path).

    Each window is found by bisection over how many units it takes, so a window costs a
    few counts of at most `MAX_CHUNK_CHARS` characters, not one count per unit.
    """
    windows: list[Span] = []
    first = 0
    while first < len(units):
        # A unit alone always fits: `_fitting_units` made it so.
        fits, over = first, len(units)
        while over - fits > 1:
            middle = (fits + over) // 2
            candidate = text[units[first].start : units[middle].end]
            if count_tokens([candidate])[0] <= max_tokens:
                fits = middle
            else:
                over = middle
        windows.append(Span(units[first].start, units[fits].end))
        first = fits + 1
    return windows


def _fitting_units(
    text: str, count_tokens: CountTokens, max_tokens: int
) -> tuple[list[Span], list[int]]:
    """Sentences of `text`, with any sentence over `max_tokens` cut into pieces that fit."""
    sentences = split_sentences(text)
    counts = counted(count_tokens, (text[s.start : s.end] for s in sentences))
    units: list[Span] = []
    unit_counts: list[int] = []
    for span, tokens in zip(sentences, counts, strict=True):
        if tokens <= max_tokens:
            units.append(span)
            unit_counts.append(tokens)
            continue
        pieces = _cut_words(text, span, count_tokens, max_tokens)
        units.extend(pieces)
        unit_counts.extend(counted(count_tokens, (text[p.start : p.end] for p in pieces)))
    return units, unit_counts


def _cut_words(text: str, span: Span, count_tokens: CountTokens, max_tokens: int) -> list[Span]:
    """Cut one over-long sentence into consecutive pieces of whole words that fit."""
    words = [Span(m.start(), m.end()) for m in _WORDS.finditer(text, span.start, span.end)]
    word_counts = counted(count_tokens, (text[w.start : w.end] for w in words))
    pieces: list[Span] = []
    current: Span | None = None
    current_tokens = 0
    for word, tokens in zip(words, word_counts, strict=True):
        if tokens > max_tokens:
            # One "word" longer than the window (a URL, a run without spaces): cut it by
            # characters; a word piece spans at least one character, so this always fits.
            if current is not None:
                pieces.append(current)
                current, current_tokens = None, 0
            pieces.extend(_cut_chars(text, word, count_tokens, max_tokens))
            continue
        if current is not None and current_tokens + tokens <= max_tokens:
            current = Span(current.start, word.end)
            current_tokens += tokens
        else:
            if current is not None:
                pieces.append(current)
            current, current_tokens = word, tokens
    if current is not None:
        pieces.append(current)
    return pieces


def _cut_chars(text: str, word: Span, count_tokens: CountTokens, max_tokens: int) -> list[Span]:
    size = max_tokens
    while True:
        pieces = [Span(i, min(i + size, word.end)) for i in range(word.start, word.end, size)]
        counts = counted(count_tokens, (text[p.start : p.end] for p in pieces))
        if max(counts) <= max_tokens or size == 1:
            return pieces
        size = max(1, size // 2)


def _pack(units: Sequence[Span], counts: Sequence[int], max_tokens: int) -> list[tuple[int, int]]:
    """Greedy windows `(first, last)` over unit indexes, each overlapping the next by one.

    A window holds at most `max_tokens` by the counts and `MAX_CHUNK_CHARS` characters.
    """
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        last, total = first, counts[first]
        while (
            last + 1 < len(units)
            and total + counts[last + 1] <= max_tokens
            and units[last + 1].end - units[first].start <= MAX_CHUNK_CHARS
        ):
            last += 1
            total += counts[last]
        windows.append((first, last))
        if last + 1 >= len(units):
            break
        # Overlap by the last unit only if it still leaves room to move forward; otherwise
        # the next window would repeat this unit alone.
        overlap = (
            last > first
            and counts[last] + counts[last + 1] <= max_tokens
            and units[last + 1].end - units[last].start <= MAX_CHUNK_CHARS
        )
        first = last if overlap else last + 1
    return windows
