"""Dates in filters: what a user may type, and how stored dates are compared with it.

`--since`/`--until` (and the chat's `/since`/`/until`) accept `YYYY-MM-DD`, `YYYY/MM/DD`,
`YYYY-MM` and `YYYY`, normalised to an ISO prefix ("2025/01/10" -> "2025-01-10",
"2025-02" stays "2025-02"); anything else, or a day that does not exist, is a usage
error naming the value. Comparing prefixes makes a month or a year mean all of it:
`--until 2025-02` is through the end of February.

Stored `published` values come from the articles (front matter, HTML, JSONL) but are
normalised when read (`index.sources.paragraphs.normalise_date`: "March 4, 2021", "2021/03/04",
RFC 2822 all become "2021-03-04"; a date it cannot read is dropped with a note), and the
content digest refuses an index whose rows were changed since. So a stored date is an
ISO day or nothing, and comparing it with a normalised prefix is exact (the store does,
`index.store.filters.ArticleFilter`); an undated article is excluded by any date filter,
and an empty answer says how many were.
"""

from __future__ import annotations

import re
from datetime import date

from index.errors import UsageError
from index.store.filters import PERIOD_END

FORMS = "YYYY-MM-DD, YYYY/MM/DD, YYYY-MM or YYYY"
"""The accepted forms, as error messages list them."""

_DAY = re.compile(r"(\d{4})[-/](\d{2})[-/](\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")


def normalise_date(value: str, option: str) -> str:
    """`value` as an ISO date prefix; UsageError naming `option` and the value if invalid."""
    text = value.strip()
    try:
        if match := _DAY.fullmatch(text):
            if text[4] != text[7]:
                raise ValueError("mixed separators")
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day).isoformat()
        if match := _MONTH.fullmatch(text):
            year, month = (int(g) for g in match.groups())
            return date(year, month, 1).isoformat()[:7]
        if _YEAR.fullmatch(text):
            return date(int(text), 1, 1).isoformat()[:4]
    except ValueError:
        pass  # 2025-02-30, month 13, year 0000: the message below says what is accepted
    raise UsageError(f"{option} {value!r} is not a date; use {FORMS}")


def check_range(since: str | None, until: str | None, since_option: str, until_option: str) -> None:
    """Refuse a range no date can fall in (both normalised), rather than answer nothing."""
    if since and until and since > until + PERIOD_END:
        raise UsageError(f"{since_option} {since} is after {until_option} {until}")
