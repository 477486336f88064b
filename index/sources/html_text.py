"""Text of an HTML page: the main text by trafilatura, or all of its text when that fails.

Split from `index.sources.readers` because a page is the most hostile input a library holds: it
decides how deep the parser must go and how much each pattern must scan. So nothing here
may recurse with the page's nesting, and no pattern may rescan the rest of the page from
each of many openers; the extractor is skipped for a page nested deeper than libxml2
reads, and any failure of it falls back to stripping tags.
"""

from __future__ import annotations

import html
import logging
import re
import warnings
from typing import Any

MAX_HTML_DEPTH = 200
"""Deeper pages skip the extractor. libxml2 stops parsing at depth 256 without an error
(its "Excessive depth in document"), so trafilatura silently lost every word after that
point; unclosed `<b>` or `<font>` tags in old pages get there too. Below 256 to leave room
for the elements `nested_deeper_than` does not count."""
# Elements that never hold others, or whose end tag the parser supplies itself: they do
# not deepen a page the way a run of unclosed <div>s or <b>s does.
_FLAT_ELEMENTS = frozenset(
    """area base br col embed hr img input link meta param source track wbr keygen basefont
    frame p li dt dd tr td th option optgroup thead tbody tfoot colgroup caption rb rt rtc
    rp html head body""".split()
)
_TAG_NAME = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^<>]*?(/?)>")


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the page's elements nest more than `limit` deep, by counting tags (linear)."""
    depth = 0
    for tag in _TAG_NAME.finditer(text):
        closing, name, self_closing = tag.groups()
        if self_closing or name.lower() in _FLAT_ELEMENTS:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > limit:
                return True
    return False


_QUIET_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer")


def extract_main_text(text: str) -> tuple[str | None, dict[str, str | None]]:
    # Imported here: trafilatura takes half a second to import and only HTML needs it.
    import trafilatura

    for name in _QUIET_LOGGERS:
        # Its warnings about odd markup would land on the user's console mid-build.
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            document: Any = trafilatura.bare_extraction(
                text, with_metadata=True, include_comments=False, include_tables=True
            )
        except Exception:  # any extractor failure falls back to tag stripping
            document = None
    if document is None:
        return None, {}
    fields = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    wanted = {"title": "title", "source": "sitename", "url": "url"}
    wanted |= {"published": "date", "author": "author"}
    metadata = {ours: fields.get(theirs) for ours, theirs in wanted.items()}
    return fields.get("text") or None, metadata


# The page is untrusted: no pattern here may rescan the rest of the text from each of many
# openers (`<[^>]*>` over "<<<<..." or `<script.*?</script>` without a closer were
# quadratic). A tag stops at the next `<`; a closer is searched for once per element name.
_DROPPED_OPENING = re.compile(r"<(script|style|noscript|template|svg|head)\b|<!--", re.IGNORECASE)
_BLOCK_TAGS = re.compile(
    r"</?(?:p|div|br|h[1-6]|li|ul|ol|tr|table|section|article|blockquote|pre|hr|header|footer)"
    r"\b[^<>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^<>]*>")
_TITLE_OPENING = re.compile(r"<title[^<>]*>", re.IGNORECASE)


def _closing(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{name}\s*>", re.IGNORECASE)


def _drop_elements(text: str) -> str:
    """`text` without scripts, styles, heads and comments (each replaced by a space)."""
    kept: list[str] = []
    done = 0
    position = 0
    unclosed: set[str] = set()
    while opening := _DROPPED_OPENING.search(text, position):
        name = (opening.group(1) or "!--").lower()
        position = opening.end()
        if name in unclosed:
            continue
        if name == "!--":
            found = text.find("-->", position)
            end = found + 3 if found >= 0 else -1
        else:
            closing = _closing(name).search(text, position)
            end = closing.end() if closing else -1
        if end < 0:
            # No closer after this one, so none after any later one either: left as text.
            unclosed.add(name)
            continue
        kept += [text[done : opening.start()], " "]
        done = position = end
    kept.append(text[done:])
    return "".join(kept)


def _page_title(text: str) -> str | None:
    opening = _TITLE_OPENING.search(text)
    if opening is None:
        return None
    closing = _closing("title").search(text, opening.end())
    if closing is None:
        return None
    title = html.unescape(_TAG.sub("", text[opening.end() : closing.start()])).strip()
    return title or None


def strip_tags(text: str) -> tuple[str, str | None]:
    """Crude text of an HTML page, blocks separated by blank lines, and its <title>."""
    title = _page_title(text)
    body = _drop_elements(text)
    body = _BLOCK_TAGS.sub("\n\n", body)
    body = html.unescape(_TAG.sub("", body))
    lines = [" ".join(line.split()) for line in body.split("\n")]
    return "\n".join(lines), title or None
