"""Read side of the stored quotes: who said what, filtered, and who is quoted how often.

Quotes are found once, when an article is indexed (`index.build.quotes`), and kept in the
`quotes` table (migration 2, `index.store.migrations`); listing them never parses text.
A speaker is looked up by a normalised key (`speaker_keys`): case, accents and
punctuation aside, by the full name or by the last name alone, so "peskov", "Peskov"
and "Dmitry Peskov" all find "Dmitry Peskov" (and "Dmitry Peskov" finds a quote the
extractor could only attribute to "Peskov").

`QuoteReader` reads one committed generation, checked as a load checks it (metadata and
content digest), without the vector file or the model: listing quotes needs neither.
Asking reads quotes through its store instead (`IndexSnapshot.quotes_by`, which calls
`speaker_quotes` here on its own connection); neither imports the extractor.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import SchemaTooOld
from index.store.dbfiles import load_damage
from index.store.filters import ArticleFilter
from index.store.migrations import MIGRATIONS
from index.store.places import place_columns, place_or_none
from index.store.queries import article_condition
from index.store.records import ArticleRef
from index.store.schema import (
    check_content,
    check_meta,
    committed_meta,
    connect,
    stored_version,
)

if TYPE_CHECKING:
    # Types only: a question that reads no quote must not load index.models (~5 ms).
    from index.models import TextSpan

QUOTES_TABLE = "quotes"
QUOTE_COLUMNS = (
    "article_id",
    "paragraph_id",
    "position",
    "start",
    "end",
    "text",
    "direct",
    "cue_paragraph",
    "cue_start",
    "cue_end",
    "cue_text",
    "mention_paragraph",
    "mention_start",
    "mention_end",
    "mention_text",
    "speaker",
    "speaker_key",
    "speaker_last",
)
"""The columns a build writes, in the order of `index.build.quotes.quote_row`."""

QUOTES_VERSION = next(m.number for m in MIGRATIONS if QUOTES_TABLE in m.tables)
"""The schema version that added the table."""

_APOSTROPHES = dict.fromkeys(map(ord, "'’ʼ`´"), None)
"""Dropped, not made spaces: "O'Brien" and "OBrien" are one key, "obrien"."""

_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)
"""Letters NFKD leaves whole (no combining mark to drop), as a reader would type them."""

_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
"""Name suffixes that are not the last name ("Martin Luther King Jr." -> "king")."""


def speaker_keys(name: str) -> tuple[str, str]:
    """A name's lookup keys: (whole name, last name), casefolded, accents and punctuation
    removed, words separated by single spaces; ("", "") when no letter or digit is left."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_APOSTROPHES))
    plain = "".join(c for c in folded if not unicodedata.combining(c)).translate(_UNDECOMPOSED)
    words = "".join(c if c.isalnum() else " " for c in plain).split()
    key = " ".join(words)
    named = [w for w in words if w not in _SUFFIXES] or words
    return key, named[-1] if named else ""


@dataclass(frozen=True, slots=True)
class QuoteRecord:
    """One stored quote with the article it cites; spans are of `paragraph`'s text."""

    text: str
    direct: bool
    article: ArticleRef
    paragraph: int
    """Ordinal of the paragraph holding the content, as citations number them."""
    start: int
    end: int
    speaker: str | None
    mention: TextSpan | None
    cue: TextSpan | None
    paragraph_id: int = 0
    """Store id of that paragraph (`index.store.keys`), for its chunks' stored vectors."""
    line: int | None = None
    """1-based line of the file where that paragraph starts, when known."""
    page: int | None = None
    """1-based page of a PDF that paragraph is on."""


@dataclass(frozen=True, slots=True)
class SpeakerRecord:
    """Someone quoted: as the library spells them most often, and how much."""

    name: str
    quotes: int
    articles: int
    first: str | None
    """Publication date of the earliest dated article quoting them, if any is dated."""
    last: str | None


_LIST_SQL = (
    "SELECT q.text, q.direct, p.ordinal, q.start, q.end, q.speaker, "
    "q.cue_paragraph, q.cue_start, q.cue_end, q.cue_text, "
    "q.mention_paragraph, q.mention_start, q.mention_end, q.mention_text, "
    "a.id, a.key, a.path, a.title, a.source, a.url, a.published, q.paragraph_id, {places} "
    "FROM quotes q JOIN articles a ON a.id = q.article_id "
    "JOIN paragraphs p ON p.id = q.paragraph_id WHERE "
)
# Newest article first, undated ones last; then each article's quotes in text order.
_LIST_ORDER = " ORDER BY a.published IS NULL, a.published DESC, a.key, a.id, q.position"
_SPEAKER_SQL = " AND (q.speaker_key IN (?, ?) OR q.speaker_last = ?)"
"""Parameters: the name's key, its last name's key, the name's key."""
_NAME_HOLDS_SQL = " AND (' ' || q.speaker_key || ' ') LIKE ?"
"""Parameter: ' % key % ': a speaker whose name holds the words ("Kremlin" in "Kremlin
press office"). Keys are letters, digits and single spaces, never a LIKE wildcard."""
_MENTIONS_SQL = (
    "SELECT DISTINCT speaker_key, mention_text FROM quotes "
    "WHERE speaker_key IS NOT NULL AND mention_text LIKE ? LIMIT 1000"
)
"""Parameter: '%word%', a word of the phrase; the phrase itself is checked on the keys."""
_SPEAKERS_SQL = " AND q.speaker_key IN ({})"
QUOTES_READ = 1000
"""The most quotes of one speaker a question reads (the newest): more are never shown."""


class QuoteReader:
    """The quotes of one committed generation of an index folder."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def open(cls, index_dir: Path) -> QuoteReader:
        """Open the last committed generation; SchemaTooOld for an index built before
        quotes were stored (a build adds them), IndexUnavailable as any load would say."""
        conn = connect(index_dir)
        try:
            meta = committed_meta(conn, index_dir)
            check_meta(meta, index_dir)
            check_content(conn, index_dir, meta)
            version = stored_version(conn, index_dir)
            if version < QUOTES_VERSION:
                raise SchemaTooOld(
                    f"the index at {index_dir} was built before quotes were stored (schema "
                    f"version {version}); run `qa index build --index {index_dir}` once to "
                    "add them"
                )
        except BaseException as error:
            conn.close()
            damage = load_damage(error, index_dir)
            if damage is None:
                raise
            raise damage from None
        return cls(conn)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> QuoteReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def quotes(
        self, speaker: str | None = None, where: ArticleFilter | None = None
    ) -> list[QuoteRecord]:
        """Quotes of the articles `where` keeps, by `speaker` (full or last name) if given;
        newest article first, each article's in text order."""
        condition, params = article_condition(where or ArticleFilter())
        sql = _list_sql(self._conn) + condition
        if speaker is not None:
            key, last = speaker_keys(speaker)
            sql += _SPEAKER_SQL
            params = (*params, key, last, key)
        return [_record(row) for row in self._conn.execute(sql + _LIST_ORDER, params)]

    def speakers(self) -> list[SpeakerRecord]:
        """Everyone quoted by name, most quoted first (then by name)."""
        rows = self._conn.execute(
            "SELECT q.speaker_key, q.speaker, q.article_id, a.published FROM quotes q "
            "JOIN articles a ON a.id = q.article_id WHERE q.speaker_key IS NOT NULL"
        )
        found = [_speaker(group) for group in _grouped(rows).values()]
        return sorted(found, key=lambda s: (-s.quotes, s.name.casefold(), s.name))

    def count_articles(self, where: ArticleFilter) -> int:
        """Articles a filter keeps (to tell an unknown article from one without quotes)."""
        condition, params = article_condition(where)
        row = self._conn.execute(f"SELECT count(*) FROM articles a WHERE {condition}", params)
        return int(row.fetchone()[0])

    def pending_articles(self) -> int:
        """Articles indexed before quotes were stored whose file no build has read since
        (migration 2 forgets their file identity): they have no quotes yet."""
        row = self._conn.execute("SELECT count(*) FROM articles WHERE file_mtime_ns = -1")
        return int(row.fetchone()[0])


def has_quotes(conn: sqlite3.Connection, index_dir: Path) -> bool:
    """Whether the generation `conn` reads has the quotes table (a build added it)."""
    return stored_version(conn, index_dir) >= QUOTES_VERSION


def speaker_quotes(
    conn: sqlite3.Connection, speaker: str, where: ArticleFilter | None = None, base: int = 0
) -> list[QuoteRecord]:
    """Quotes of whoever `speaker` names, newest article first, each article's in order.

    Tried in turn, each only when the one before finds nothing (the first uses the
    indexes; the others read the quotes table through): the full or last name, as
    `QuoteReader.quotes` matches it; a speaker whose name holds the phrase ("Kremlin");
    the speakers once named by a mention holding it ("Putin's spokesman Dmitry Peskov").
    Ids are store ids, `base` added (`index.store.keys`).
    """
    key, last = speaker_keys(speaker)
    if not key:
        return []
    condition, params = article_condition(where or ArticleFilter())
    sql = _list_sql(conn) + condition

    def read(extra: str, values: tuple[str, ...]) -> list[QuoteRecord]:
        rows = conn.execute(f"{sql}{extra}{_LIST_ORDER} LIMIT {QUOTES_READ}", (*params, *values))
        return [_record(row, base) for row in rows]

    found = read(_SPEAKER_SQL, (key, last, key))
    if not found:
        found = read(_NAME_HOLDS_SQL, (f"% {key} %",))
    if not found:
        wanted = f" {key} "
        mentioned = {
            name
            for name, mention in conn.execute(_MENTIONS_SQL, (f"%{key.split()[-1]}%",))
            if wanted in f" {speaker_keys(mention)[0]} "
        }
        if mentioned:
            names = tuple(sorted(mentioned))
            found = read(_SPEAKERS_SQL.format(",".join("?" * len(names))), names)
    return found


def _span(paragraph: int | None, start: int, end: int, text: str) -> TextSpan | None:
    from index.models import TextSpan  # see the TYPE_CHECKING import above

    return None if paragraph is None else TextSpan(paragraph, start, end, text)


def _list_sql(conn: sqlite3.Connection) -> str:
    """The quotes' query, reading their paragraph's line and page where the schema has them."""
    return _LIST_SQL.format(places=place_columns(conn, "p"))


def _record(row: tuple, base: int = 0) -> QuoteRecord:
    (text, direct, ordinal, start, end, speaker, *spans) = row[:14]
    article_id, *cited = row[14:21]
    return QuoteRecord(
        text=text,
        direct=bool(direct),
        article=ArticleRef(article_id + base, *cited),
        paragraph=ordinal,
        start=start,
        end=end,
        speaker=speaker,
        cue=_span(*spans[:4]),
        mention=_span(*spans[4:]),
        paragraph_id=row[21] + base,
        line=place_or_none(row[22]),
        page=place_or_none(row[23]),
    )


def _grouped(rows: Iterable[tuple]) -> dict[str, list[tuple[str, int, str | None]]]:
    groups: dict[str, list[tuple[str, int, str | None]]] = {}
    for key, name, article_id, published in rows:
        groups.setdefault(key, []).append((name, article_id, published))
    return groups


def _speaker(quotes: list[tuple[str, int, str | None]]) -> SpeakerRecord:
    spellings: dict[str, int] = {}
    for name, _, _ in quotes:
        spellings[name] = spellings.get(name, 0) + 1
    # The most frequent spelling; on a tie the longest (fullest), then the first in order.
    name = max(sorted(spellings), key=lambda n: (spellings[n], len(n)))
    dates = sorted(published for _, _, published in quotes if published)
    return SpeakerRecord(
        name=name,
        quotes=len(quotes),
        articles=len({article_id for _, article_id, _ in quotes}),
        first=dates[0] if dates else None,
        last=dates[-1] if dates else None,
    )
