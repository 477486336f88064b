"""Untrusted text made safe to show: control characters become visible escapes.

Titles, sources, URLs, paragraph text and file names come from the articles, so an
article could otherwise drive the user's terminal (set the window title with OSC 0,
clear the screen, plant OSC 8 hyperlinks, forge a second `qa: error:` line with a
newline, reorder a line with a bidi override). Everything the CLI and the TUI show from
the library goes through `visible`; JSON keeps the exact text but writes the same
characters as `\\uXXXX` escapes (`json_text`), which parse back to the identical string.

Imported on the `qa ask` path and by the chat's first frame: it imports nothing heavy.
"""

from __future__ import annotations

import json
import re
from typing import Any

UNSAFE = re.compile(
    "["
    "\x00-\x1f\x7f"  # C0 controls (ESC, BEL, CR, LF, ...) and DEL
    "\x80-\x9f"  # C1 controls: U+009B is CSI and U+009D OSC on some terminals
    "\u2028\u2029"  # line and paragraph separators: a line break to some terminals
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ud800-\udfff"  # lone surrogates (undecodable file-name bytes): unprintable as UTF-8
    "]"
)
"""Characters never shown raw."""

_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What `json.dumps(ensure_ascii=False)` leaves raw of `UNSAFE` (it escapes C0 itself)."""


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
"""The escapes Python's repr uses for these; every other unsafe character is numbered."""


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def visible(text: str, keep: str = "") -> str:
    """`text` with every unsafe character shown as an escape (`\\x1b`, `\\u202e`).

    `keep` names harmless layout characters to leave as they are, e.g. "\\n\\t" for a
    paragraph a widget lays out over several lines. Backslashes are left alone: the
    escapes are for reading, not for parsing back.
    """
    if UNSAFE.search(text) is None:
        return text
    if not keep:
        return UNSAFE.sub(_escape, text)
    return UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def visible_map(text: str, keep: str = "") -> tuple[str, list[int] | None]:
    """`visible(text, keep)` and where each position of `text` went in it.

    The list has `len(text) + 1` entries (the end included), or is None when nothing
    was escaped and positions are unchanged: highlight spans computed on the stored text
    are moved with it onto the shown text.
    """
    if UNSAFE.search(text) is None:
        return text, None
    pieces: list[str] = []
    positions: list[int] = []
    length = 0
    for char in text:
        shown = char if char in keep or UNSAFE.fullmatch(char) is None else visible(char)
        positions.append(length)
        pieces.append(shown)
        length += len(shown)
    positions.append(length)
    return "".join(pieces), positions


def json_text(value: Any, indent: int | None = None) -> str:
    """`json.dumps(value, ensure_ascii=False)` with the unsafe characters it leaves escaped.

    The result parses back to exactly `value`; non-ASCII letters stay readable.
    """
    dumped = json.dumps(value, ensure_ascii=False, indent=indent)
    # Outside strings JSON is ASCII, so every match is inside a string, where `\\uXXXX`
    # is the same character.
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
