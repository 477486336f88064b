"""Bytes to text, the one way every text format shares: BOMs, legacy code pages, and binary
data refused whatever its suffix says.

Only text readers come here (`index.sources.readers` decides): a binary reader gets its
bytes untouched, so a format such as PDF is never refused as "binary file, not text".
"""

from __future__ import annotations

import codecs
import re

from index.errors import UnreadableFile
from index.sources.paragraphs import normalise_newlines

# Leading bytes of formats that are certainly not text, whatever their suffix says.
_MAGIC = (
    *(b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"%PDF-"),
    *(b"PK\x03\x04", b"\x1f\x8b", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07"),
    *(b"\x7fELF", b"SQLite format 3\x00", b"\xd0\xcf\x11\xe0", b"\x00\x00\x00\x0cjP"),
)


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def decode_text(data: bytes, shown: str, *, declared_charset: bool) -> tuple[str, list[str]]:
    """Text of `data` and notes on how it was decoded; binary data is refused.

    `declared_charset`: a file that is not UTF-8 may name its encoding (`<meta charset>`).
    """
    if data.startswith(_MAGIC):
        raise UnreadableFile(shown, "binary file, not text")
    notes: list[str] = []
    # UTF-32 first: its little-endian BOM begins with UTF-16's.
    boms = [(codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32")]
    boms += [(codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")]
    name = next((name for bom, name in boms if data.startswith(bom)), None)
    if name is not None:
        try:
            text, notes = data.decode(name), [f"{name} with BOM"]
        except UnicodeDecodeError:
            raise UnreadableFile(shown, f"undecodable text: invalid {name}") from None
    elif b"\x00" in data:
        raise UnreadableFile(shown, "binary file, not text")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text, notes = _decode_legacy(data, declared_charset)
    if _looks_binary(text):
        raise UnreadableFile(shown, "binary file, not text")
    return normalise_newlines(text), notes


def _decode_legacy(data: bytes, declared_charset: bool) -> tuple[str, list[str]]:
    if declared_charset and (declared := _CHARSET.search(data[:4096])):
        name = declared.group(1).decode("ascii", "replace")
        try:
            return data.decode(name), [f"decoded as {codecs.lookup(name).name} (declared)"]
        except (LookupError, UnicodeDecodeError):
            pass
    # Mostly valid UTF-8 with a few stray bytes: keep the good characters rather than turn
    # every accented letter into cp1252 mojibake.
    lenient = data.decode("utf-8", "replace")
    bad = lenient.count("\ufffd")
    good = sum(1 for ch in lenient if ord(ch) > 127) - bad
    if good >= 2 * bad > 0:
        return lenient, [f"{bad} invalid UTF-8 byte(s) replaced"]
    try:
        return data.decode("cp1252"), ["decoded as cp1252"]
    except UnicodeDecodeError:
        return data.decode("latin-1"), ["decoded as latin-1"]


# C0 controls but tab, newline, vertical tab, form feed and carriage return; DEL; C1.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    # One regex scan, not a Python loop per character: it ran for every file of a build.
    controls = len(_CONTROL.findall(sample))
    return controls > max(8, len(sample) // 50)
