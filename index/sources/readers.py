"""Reading one article file into `Article`s (finding the files is `index.sources.discovery`).

A file is whatever the user dropped into the library: odd encodings, binary data under a
text suffix, a file that changes or vanishes while it is read. This module is where that
is met, so that everything above it sees either an `Article` or one line saying why a
file was left out (`UnreadableFile`). Nothing here blocks on a special file or prints
to the console.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from index.errors import UnreadableFile
from index.models import Article
from index.sources.discovery import SUPPORTED_SUFFIXES, os_reason, printable, special_kind
from index.sources.html_text import (
    MAX_HTML_DEPTH,
    extract_main_text,
    nested_deeper_than,
    strip_tags,
)
from index.sources.paragraphs import (
    TooManyLines,
    allowed_paragraphs,
    build_article,
    normalise_newlines,
    title_from_filename,
    too_many_lines,
)

# Leading bytes of formats that are certainly not text, whatever their suffix says.
_MAGIC = (
    *(b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"%PDF-"),
    *(b"PK\x03\x04", b"\x1f\x8b", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07"),
    *(b"\x7fELF", b"SQLite format 3\x00", b"\xd0\xcf\x11\xe0", b"\x00\x00\x00\x0cjP"),
)


def read_articles(path: Path, root: Path) -> list[Article]:
    """The article(s) in one file: one for .txt/.md/.html, one per valid line of .jsonl.

    Raises `UnreadableFile` with a one-line reason when the file cannot be indexed.
    """
    return parse_articles(path, root, read_file_bytes(path))


def read_file_bytes(path: Path) -> bytes:
    """The bytes of one article file, read once (the build hashes what it parses).

    Raises `UnreadableFile` for unsupported types, special files and failed reads.
    """
    shown = printable(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableFile(shown, f"unsupported file type {suffix or '(no suffix)'}")
    return _read_bytes(path, shown)


def parse_articles(path: Path, root: Path, data: bytes) -> list[Article]:
    """The article(s) in `data`, the bytes of the file at `path` under `root`.

    Raises `UnreadableFile` for anything that goes wrong: one file's failure, even one
    nobody foresaw, is that file's skip line, never the end of the build.
    """
    shown = printable(path)
    try:
        return _parse_articles(path, root, data, shown)
    except UnreadableFile:
        raise
    except TooManyLines as error:
        raise UnreadableFile(shown, str(error)) from None
    except RecursionError:
        raise UnreadableFile(shown, "nested too deeply to read") from None
    except Exception as error:  # noqa: BLE001 - turned into this file's skip line
        # The type only: an exception's message may quote the file's content.
        raise UnreadableFile(shown, f"could not be read ({type(error).__name__})") from None


def _parse_articles(path: Path, root: Path, data: bytes, shown: str) -> list[Article]:
    suffix = path.suffix.lower()
    if not data.strip():
        raise UnreadableFile(shown, "empty file")
    text, notes = _decode(data, shown, html_page=suffix in (".html", ".htm"))
    if not text.strip():
        raise UnreadableFile(shown, "empty file")
    # Undecodable name bytes cannot be stored as text (SQLite, JSON): keep them visible
    # as `\xNN` instead. `discover_files` refuses such names; this is for direct calls.
    key = printable(_article_key(path, root))
    absolute = printable(os.path.abspath(path))
    fallback_title = title_from_filename(printable(path.name))
    if suffix == ".jsonl":
        return _read_jsonl(text, shown, key, absolute, fallback_title, notes)
    if suffix in (".html", ".htm"):
        return [_read_html(text, shown, key, absolute, fallback_title, notes)]
    article = build_article(
        text,
        key=key,
        path=absolute,
        fallback_title=fallback_title,
        markdown=suffix == ".md",
        notes=notes,
    )
    if not article.paragraphs:
        raise UnreadableFile(shown, "no text besides the front matter")
    return [article]


def _article_key(path: Path, root: Path) -> str:
    if path == root:
        return path.name
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def _read_bytes(path: Path, shown: str) -> bytes:
    # O_NONBLOCK: a pipe swapped in after discovery must not hang the build.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise UnreadableFile(shown, os_reason(error)) from None
    try:
        before = os.fstat(fd)
        kind = special_kind(before.st_mode)
        if kind is not None:
            raise UnreadableFile(shown, f"{kind}, not a regular file")
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        after = os.fstat(fd)
    except OSError as error:
        raise UnreadableFile(shown, os_reason(error)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        now = os.stat(path)
    except OSError:
        raise UnreadableFile(shown, "file vanished while being read") from None
    same_file = (now.st_dev, now.st_ino) == (before.st_dev, before.st_ino)
    unchanged = (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
    if not same_file or not unchanged or len(data) != after.st_size:
        raise UnreadableFile(shown, "file changed while being read; build again")
    return data


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def _decode(data: bytes, shown: str, *, html_page: bool) -> tuple[str, list[str]]:
    """Text of `data` and notes on how it was decoded; binary data is refused."""
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
            text, notes = _decode_legacy(data, html_page)
    if _looks_binary(text):
        raise UnreadableFile(shown, "binary file, not text")
    return normalise_newlines(text), notes


def _decode_legacy(data: bytes, html_page: bool) -> tuple[str, list[str]]:
    if html_page and (declared := _CHARSET.search(data[:4096])):
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


def _read_html(
    text: str, shown: str, key: str, path: str, fallback_title: str, notes: list[str]
) -> Article:
    extracted: str | None
    metadata: dict[str, str | None]
    if nested_deeper_than(text, MAX_HTML_DEPTH):
        extracted, metadata = None, {}
        fallback = "page nested too deeply for main-text extraction; all page text kept"
    else:
        extracted, metadata = extract_main_text(text)
        fallback = "main text not found; all page text kept (tags stripped)"
    if not extracted or not extracted.strip():
        extracted, title = strip_tags(text)
        metadata = {"title": title}
        notes = [*notes, fallback]
    article = build_article(
        extracted,
        key=key,
        path=path,
        fallback_title=fallback_title,
        metadata=metadata,
        front_matter=False,
        notes=notes,
    )
    if not article.paragraphs:
        raise UnreadableFile(shown, "no text found in the HTML page")
    return article


_JSON_FIELDS = ("title", "url", "source", "author", "published")
_LINE = re.compile(r"[^\n]+")


def _read_jsonl(
    text: str, shown: str, key: str, path: str, fallback_title: str, notes: list[str]
) -> list[Article]:
    articles: list[Article] = []
    problems: Counter[str] = Counter()
    # Many tiny records cost like many tiny lines (see `allowed_paragraphs`).
    allowed = allowed_paragraphs(len(text))
    paragraphs = 0
    # One line at a time: a list of every line of a file of millions was gigabytes.
    for match in _LINE.finditer(text):
        line = match.group()
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            problems["not JSON"] += 1
            continue
        except RecursionError:
            # `[[[[...` a hundred thousand deep: this line only, not the whole build.
            problems["nested too deeply"] += 1
            continue
        if not isinstance(record, dict):
            problems["not a JSON object"] += 1
            continue
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            problems["no text"] += 1
            continue
        metadata = {name: v for name in _JSON_FIELDS if isinstance(v := record.get(name), str)}
        number = len(articles)
        try:
            article = build_article(
                body,
                key=f"{key}#{number}",
                path=path,
                fallback_title=f"{fallback_title} #{number}",
                metadata=metadata,
                front_matter=False,
            )
        except TooManyLines:
            problems["too many short lines"] += 1
            continue
        if article.paragraphs:
            articles.append(article)
            paragraphs += len(article.paragraphs)
            if paragraphs > allowed:
                raise too_many_lines(paragraphs, len(text), "paragraphs")
        else:
            problems["no text"] += 1
    if not articles:
        raise UnreadableFile(shown, "no valid JSON articles")
    # File-level notes go on the first article only, so the build report says them once.
    summary = [
        f"{count} {'line' if count == 1 else 'lines'} skipped: {reason}"
        for reason, count in sorted(problems.items())
    ]
    articles[0] = replace(articles[0], notes=(*notes, *summary, *articles[0].notes))
    return articles
