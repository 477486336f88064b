"""Paragraphs of an article's text, numbered the way citations and eval gold number them.

A paragraph's ordinal is part of every citation and of every gold answer in the question
sets, so the numbering rule lives here alone: blocks separated by blank lines, numbered
from 0; or, in a file without any blank line between its lines, one paragraph per line,
numbered by its line. A front-matter block of `Key: value` lines keeps its ordinals (it
is metadata, not returned as a paragraph), so the numbers match what an editor shows.

Boilerplate detection lives here too, because it is a judgement about paragraphs: appeals
and page furniture stay in the index and stay citable, but are flagged to rank lower.
"""

from __future__ import annotations

import bisect
import email.utils
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Literal

from index.models import Article, Paragraph

FRONT_MATTER_KEYS = frozenset({"title", "source", "url", "published", "author", "date"})

MAX_FIELD_CHARS = 1_000
"""Longest title, source, URL, author or date kept from front matter or metadata."""
PARAGRAPH_ALLOWANCE = 10_000
MIN_CHARS_PER_PARAGRAPH = 16
"""A text may hold `PARAGRAPH_ALLOWANCE` non-blank lines, plus one per this many characters
beyond that: every paragraph costs a vector and rows (some kilobytes), so an 18 MB file of
2-byte lines would cost gigabytes. The densest articles of the eval sets (award lists)
have 484 lines, at 44 characters a line. `index.sources.chunking` holds sentences to the same
budget."""


class TooManyLines(ValueError):
    """A text with more short lines than its size allows (see `MIN_CHARS_PER_PARAGRAPH`)."""


_KEY_VALUE = re.compile(r"\s*(title|source|url|published|author|date)\s*:(.*)", re.IGNORECASE)
# The opening of an ATX heading; its closing `#`s are found by `_heading`, without the
# lazy `(.*?)(?:\s+#+)?\s*` that backtracked quadratically over a long line of spaces.
_MD_HEADING_START = re.compile(r"\s{0,3}(#{1,6})\s+")


def normalise_newlines(text: str) -> str:
    """Drop a byte-order mark and turn CRLF and lone CR into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_paragraphs(
    text: str, *, front_matter: bool = True, markdown: bool = False
) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """Front-matter metadata and the `(ordinal, text)` paragraphs of `text` (see
    `located_paragraphs`, which also says on which line each starts)."""
    metadata, located = located_paragraphs(text, front_matter=front_matter, markdown=markdown)
    return metadata, [(ordinal, body) for ordinal, _, body in located]


def located_paragraphs(
    text: str, *, front_matter: bool = True, markdown: bool = False
) -> tuple[dict[str, str], list[tuple[int, int, str]]]:
    """Front-matter metadata and the `(ordinal, line, text)` paragraphs of `text`, `line`
    being the 1-based line the paragraph starts on (lines as an editor counts them: a
    CRLF or a lone CR ends one line, like an LF).

    With `markdown`, heading marks are stripped, and a level-1 heading that is the first
    paragraph provides the title when the front matter names none. Raises `TooManyLines`
    for a text of more short lines than its size allows.
    """
    text = normalise_newlines(text)
    _check_density(text)
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return {}, []
    # Only a blank line *between* text switches to blocks: a trailing newline too many
    # must not merge a one-paragraph-per-line file into a single paragraph.
    block_mode = len(filled) < filled[-1] - filled[0] + 1
    groups: list[tuple[int, int, list[str]]]
    if block_mode:
        groups = _blocks(lines)
    else:
        groups = [(i, i, [lines[i]]) for i in filled]

    metadata: dict[str, str] = {}
    if front_matter:
        # Blocks: the whole first block is front matter or none of it is. Lines: the
        # leading run of `Key: value` lines.
        candidates = groups[:1] if block_mode else groups
        used = 0
        for _, _, group in candidates:
            matches = [_KEY_VALUE.fullmatch(line) for line in group]
            if not all(matches):
                break
            for match in matches:
                assert match is not None
                key, value = match.group(1).lower(), match.group(2).strip()
                if value and key not in metadata:
                    metadata[key] = value
            used += 1
        groups = groups[used:]

    paragraphs: list[tuple[int, int, str]] = []
    for ordinal, first_line, group in groups:
        parts = [line.strip() for line in group]
        if markdown:
            parts = [_strip_heading(part) for part in parts]
        paragraphs.append((ordinal, first_line + 1, " ".join(part for part in parts if part)))
    if markdown and "title" not in metadata and groups:
        heading = _heading(groups[0][2][0]) if len(groups[0][2]) == 1 else None
        if heading and heading[0] == 1 and heading[1]:
            metadata["title"] = heading[1]
    return metadata, [paragraph for paragraph in paragraphs if paragraph[2]]


_FILLED_LINE = re.compile(r"^[^\S\n]*\S", re.MULTILINE)


def allowed_paragraphs(chars: int) -> int:
    """How many paragraphs (or non-blank lines) a text of `chars` characters may hold."""
    return PARAGRAPH_ALLOWANCE + chars // MIN_CHARS_PER_PARAGRAPH


def too_many_lines(count: int, chars: int, what: str = "lines") -> TooManyLines:
    return TooManyLines(
        f"{count:,} {what} in {chars:,} characters: too many short {what} (at most "
        f"{PARAGRAPH_ALLOWANCE:,} plus one per {MIN_CHARS_PER_PARAGRAPH} characters); "
        "split it into smaller files"
    )


def _check_density(text: str) -> None:
    """Raise `TooManyLines` before the lines of an over-dense text are made into objects."""
    allowed = allowed_paragraphs(len(text))
    if text.count("\n") < allowed:
        return
    filled = sum(1 for _ in _FILLED_LINE.finditer(text))
    if filled > allowed:
        raise too_many_lines(filled, len(text))


def _blocks(lines: list[str]) -> list[tuple[int, int, list[str]]]:
    """(ordinal, index of its first line, lines) of each block of non-blank lines."""
    blocks: list[tuple[int, int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate(lines):
        if line.strip():
            current.append(line)
        elif current:
            blocks.append((len(blocks), number - len(current), current))
            current = []
    if current:
        blocks.append((len(blocks), len(lines) - len(current), current))
    return blocks


def _heading(line: str) -> tuple[int, str] | None:
    """Level and text of a markdown heading line (`## Text ##`), or None."""
    opening = _MD_HEADING_START.match(line)
    if opening is None:
        return None
    body = line[opening.end() :].rstrip()
    # Closing `#`s count only after whitespace: "# C#" keeps its sharp.
    unclosed = body.rstrip("#")
    if unclosed != body and unclosed[-1:].isspace():
        body = unclosed.rstrip()
    return len(opening.group(1)), body


def _strip_heading(line: str) -> str:
    heading = _heading(line)
    return heading[1] if heading else line


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[t\s].*)?")
_MONTH_FIRST = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b.*")
_DAY_FIRST = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})\b.*")
_MAX_DATE_CHARS = 200
_WEEKDAY = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+")


def normalise_date(value: str) -> str | None:
    """`value` as an ISO date (YYYY-MM-DD), or None when it is not a recognisable day."""
    if len(value) > _MAX_DATE_CHARS:
        # Not a date; and the weekday search below is quadratic in a long value.
        return None
    text = value.strip().lower()
    parts: tuple[int, int, int] | None = None
    if match := _ISO.fullmatch(text):
        parts = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    else:
        text = _WEEKDAY.sub("", text, count=1)
        if (match := _MONTH_FIRST.fullmatch(text)) and match.group(1) in _MONTHS:
            parts = (int(match.group(3)), _MONTHS[match.group(1)], int(match.group(2)))
        elif (match := _DAY_FIRST.fullmatch(text)) and match.group(2) in _MONTHS:
            parts = (int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)))
    if parts is None:
        # RFC 2822, as in feeds and e-mail: "Thu, 04 Mar 2021 10:00:00 +0000".
        try:
            return email.utils.parsedate_to_datetime(value.strip()).date().isoformat()
        except (TypeError, ValueError, IndexError):
            return None
    try:
        return date(*parts).isoformat()
    except ValueError:
        return None


def excerpt(value: str, limit: int = 40) -> str:
    """`value` quoted for a note, cut to `limit` characters: notes are one short line."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}..."


def title_from_filename(name: str) -> str:
    """A readable title from a file name: "belarus-reserve_2020.txt" -> "Belarus reserve 2020"."""
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    words = re.sub(r"[-_\s]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else name


# A publisher's header that opens an appeal running to the end of the article.
_APPEAL_HEADER = re.compile(
    r"(?:an? )?(?:message|note|letter|word) from (?:the )?[\w .,&'\u2019-]{2,60}?[:.!]?",
    re.IGNORECASE,
)
# What follows a real appeal header: without it, "A message from the mayor:" is news.
_APPEAL_HINT = re.compile(
    r"\b(?:donat|support|subscri|contribut|dear readers?\b|remind me later|journalism)",
    re.IGNORECASE,
)
# Paragraphs that are page furniture as a whole ("Advertisement", "Read more").
_FURNITURE = re.compile(
    r"(?:advertisement|sponsored(?: content)?|share (?:this|on) [\w ]{1,20}"
    r"|follow us(?: on [\w ]+)?"
    r"|read more|related(?: articles| stories| content)?|skip to (?:main )?content"
    r"|continue reading|already a subscriber\??|log ?in|sign in|subscribe(?: now)?"
    r"|dear (?:readers?|subscribers?|friends)|click here[\w ]{0,40}|back to top)\W*",
    re.IGNORECASE,
)
# Phrases that are appeals wherever they stand in a short paragraph.
_APPEAL = re.compile(
    r"remind me later|\bdear readers?\b"
    r"|\bplease (?:consider )?(?:making a |to )?(?:donat|support us|support our|subscrib|contribut)"
    r"|\b(?:donate|subscribe|contribute) (?:now|today|here)\b"
    r"|\bsupport (?:us|our (?:work|journalism|reporting|newsroom))\b"
    r"|\b(?:subscribe|sign up|signing up|register) (?:to|for) (?:our|the|a) [\w ]{0,30}newsletter"
    r"|\bnewsletter\b.{0,60}\b(?:inbox|sign up|subscribe)"
    r"|\b(?:we|this (?:site|website)|our (?:site|website)) uses? cookies\b"
    r"|\baccept (?:all )?cookies\b|\bcookie (?:policy|settings|preferences)\b"
    r"|\ball rights reserved\b|^(?:\u00a9|\(c\)|copyright\b)\s*(?:\d{4}|[A-Z])"
    r"|\bsubscribe to (?:our|the) (?:channel|podcast|feed)\b",
    re.IGNORECASE,
)
# Long paragraphs are almost always the article's own prose, even when they quote a phrase.
_APPEAL_MAX_CHARS = 500


def detect_boilerplate(paragraphs: list[tuple[int, str]]) -> set[int]:
    """Ordinals of paragraphs that are newsletter/donation appeals or page furniture."""
    flagged: set[int] = set()
    # Position of the last paragraph hinting at an appeal, found once when first needed:
    # looking through the rest again for every header was quadratic in the paragraphs.
    last_hint: int | None = None
    for position, (ordinal, text) in enumerate(paragraphs):
        stripped = text.strip()
        if len(stripped) <= 80 and _APPEAL_HEADER.fullmatch(stripped):
            if last_hint is None:
                last_hint = _last_hint(paragraphs)
            if last_hint > position:
                flagged.update(o for o, _ in paragraphs[position:])
                break
        if len(stripped) <= 60 and _FURNITURE.fullmatch(stripped):
            flagged.add(ordinal)
        elif len(stripped) <= _APPEAL_MAX_CHARS and _APPEAL.search(stripped):
            flagged.add(ordinal)
    return flagged


def _last_hint(paragraphs: list[tuple[int, str]]) -> int:
    """Position of the last paragraph with an appeal hint, or -1."""
    for position in range(len(paragraphs) - 1, -1, -1):
        if _APPEAL_HINT.search(paragraphs[position][1]):
            return position
    return -1


def build_article(
    text: str,
    *,
    key: str,
    path: str,
    fallback_title: str,
    metadata: Mapping[str, str | None] | None = None,
    front_matter: bool = True,
    markdown: bool = False,
    notes: Iterable[str] = (),
    lines: Literal["text"] | int | None = "text",
    page_starts: Sequence[int] = (),
) -> Article:
    """An `Article` from raw text: paragraphs, boilerplate flags and merged metadata.

    Front matter in the text wins over `metadata` (what an HTML extractor or a JSON line
    gave), which wins over `fallback_title`. Dates are normalised to ISO; a date that cannot
    be read is dropped with a note rather than stored in a form date filters would misread.

    Where each paragraph stands in the file (`Paragraph.line`): `lines="text"` when `text`
    is the whole file, so its lines are the file's; a number when the whole text sits on
    that line of the file (a JSONL record); None when the file's lines say nothing about
    the text (extracted from HTML or PDF). `page_starts`, for paged text, holds the
    1-based line of `text` each page starts on, ascending: a paragraph is on the page its
    first line falls on.
    """
    found, located = located_paragraphs(text, front_matter=front_matter, markdown=markdown)
    paragraphs = [(ordinal, body) for ordinal, _, body in located]
    merged: dict[str, str] = {k: v.strip() for k, v in (metadata or {}).items() if v and v.strip()}
    merged.update(found)
    all_notes = list(notes)
    for name, value in merged.items():
        if len(value) > MAX_FIELD_CHARS:
            # A title of megabytes would be stored and shown with every hit.
            merged[name] = value[:MAX_FIELD_CHARS]
            all_notes.append(f"{name} cut to {MAX_FIELD_CHARS:,} characters")
    published = None
    raw_date = merged.get("published") or merged.get("date")
    if raw_date:
        published = normalise_date(raw_date)
        if published is None:
            all_notes.append(f"date not recognised: {excerpt(raw_date)}")
    boilerplate = detect_boilerplate(paragraphs)
    return Article(
        key=key,
        path=path,
        title=merged.get("title") or fallback_title,
        paragraphs=tuple(
            Paragraph(
                ordinal,
                body,
                ordinal in boilerplate,
                line=first if lines == "text" else lines,
                page=bisect.bisect_right(page_starts, first) if page_starts else None,
            )
            for ordinal, first, body in located
        ),
        source=merged.get("source"),
        url=merged.get("url"),
        published=published,
        author=merged.get("author"),
        notes=tuple(all_notes),
    )
