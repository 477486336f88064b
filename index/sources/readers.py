"""Reading one article file into `Article`s (finding the files is `index.sources.discovery`).

A file is whatever the user dropped into the library: odd encodings, binary data under a
text suffix, a file that changes or vanishes while it is read. This module is where that
is met, so that everything above it sees either an `Article` or one line saying why a
file was left out (`UnreadableFile`). Nothing here blocks on a special file or prints
to the console.

Which reader reads a file is its suffix's entry in `index.sources.registry`; the formats
themselves are the modules of `index.sources.formats`.
"""

from __future__ import annotations

import os
from pathlib import Path

from index.errors import UnreadableFile
from index.models import Article
from index.sources.decoding import decode_text
from index.sources.discovery import os_reason, special_kind
from index.sources.names import printable
from index.sources.paragraphs import TooManyLines, title_from_filename
from index.sources.reading import ArticleFile, BinaryReader
from index.sources.registry import reader_for


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
    if reader_for(path.suffix) is None:
        suffix = path.suffix.lower()
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
    reader = reader_for(path.suffix)
    if reader is None:
        raise UnreadableFile(shown, f"unsupported file type {path.suffix.lower() or '(no suffix)'}")
    if not data.strip():
        raise UnreadableFile(shown, "empty file")
    # Undecodable name bytes cannot be stored as text (SQLite, JSON): keep them visible
    # as `\xNN` instead. `discover_files` refuses such names; this is for direct calls.
    file = ArticleFile(
        shown=shown,
        key=printable(_article_key(path, root)),
        path=printable(os.path.abspath(path)),
        fallback_title=title_from_filename(printable(path.name)),
        suffix=path.suffix.lower(),
    )
    # Before any decoding: a binary format's bytes are its content, not text gone wrong.
    if isinstance(reader, BinaryReader):
        return reader.read(data, file)
    text, notes = decode_text(data, shown, declared_charset=reader.declared_charset)
    if not text.strip():
        raise UnreadableFile(shown, "empty file")
    return reader.read(text, file, notes)


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
