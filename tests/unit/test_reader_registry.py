"""The reader registry: a format is one reader registered by suffix, found and read by it.

What PDF relies on, and the next binary format will: registering a binary reader makes
discovery find its files and hands the reader the raw bytes, never refused as "binary
file, not text". The stand-in format here is `.epub` (no reader of ours reads it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.errors import UnreadableFile
from index.models import Article, Skipped
from index.sources.discovery import SUPPORTED_SUFFIXES, discover_files
from index.sources.paragraphs import build_article
from index.sources.readers import read_articles
from index.sources.reading import ArticleFile, BinaryReader, Reader, TextReader
from index.sources.registry import READERS, register

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n\x00\x01\x02\xff"


@pytest.fixture
def registered() -> Iterator[Callable[[Reader], None]]:
    """Register readers for one test; the table is as before afterwards."""
    before = dict(READERS)
    yield register
    READERS.clear()
    READERS.update(before)


class RecordingPdfReader:
    """Stands in for a PDF reader: keeps the bytes it was given, makes one article."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    def read(self, data: bytes, file: ArticleFile) -> list[Article]:
        self.received.append(data)
        text = f"A report of {len(data)} bytes about the river bridge and the ferry."
        return [build_article(text, key=file.key, path=file.path, fallback_title="Report")]


def test_built_in_formats_are_registered_by_suffix() -> None:
    text = {".txt", ".md", ".html", ".htm", ".jsonl"}
    # Feeds are bytes to feedparser, which reads their XML declaration itself.
    binary = {".rss", ".atom", ".xml", ".pdf"}
    assert set(SUPPORTED_SUFFIXES) == text | binary
    assert all(isinstance(READERS[suffix], TextReader) for suffix in text)
    assert all(isinstance(READERS[suffix], BinaryReader) for suffix in binary)
    assert READERS[".html"] is READERS[".htm"]
    assert READERS[".html"].declared_charset  # type: ignore[union-attr] - a TextReader, above


def test_without_a_reader_a_binary_format_is_passed_over_and_refused(tmp_path: Path) -> None:
    (tmp_path / "report.epub").write_bytes(PDF)
    assert list(discover_files(tmp_path)) == []
    with pytest.raises(UnreadableFile) as caught:
        read_articles(tmp_path / "report.epub", tmp_path)
    assert caught.value.reason == "unsupported file type .epub"


def test_a_registered_binary_reader_gets_its_files_raw_bytes(
    tmp_path: Path, registered: Callable[[Reader], None]
) -> None:
    pdf_reader = RecordingPdfReader()
    registered(BinaryReader((".epub",), pdf_reader.read))
    (tmp_path / "notes.txt").write_text("The ferry runs hourly in summer.\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Report.EPUB").write_bytes(PDF)

    assert ".epub" in SUPPORTED_SUFFIXES
    found = list(discover_files(tmp_path))
    assert found == [tmp_path / "notes.txt", tmp_path / "sub" / "Report.EPUB"]
    [article] = read_articles(tmp_path / "sub" / "Report.EPUB", tmp_path)
    # Exactly the file's bytes: no "binary file, not text", no decoding, no newline changes.
    assert pdf_reader.received == [PDF]
    assert article.key == "sub/Report.EPUB"
    assert article.path == str(tmp_path / "sub" / "Report.EPUB")
    # A named file is taken too, and the refusal lists the new suffix among the supported.
    assert list(discover_files(tmp_path / "sub" / "Report.EPUB")) == [
        tmp_path / "sub" / "Report.EPUB"
    ]
    (tmp_path / "letter.docx").write_bytes(b"PK\x03\x04")
    [refused] = list(discover_files(tmp_path / "letter.docx"))
    assert refused == Skipped(
        str(tmp_path / "letter.docx"),
        "unsupported file type (supported: .atom, .epub, .htm, .html, .jsonl, .md, .pdf, .rss, "
        ".txt, .xml)",
    )


def test_text_suffixes_still_refuse_binary_bytes_when_a_binary_reader_exists(
    tmp_path: Path, registered: Callable[[Reader], None]
) -> None:
    registered(BinaryReader((".epub",), RecordingPdfReader().read))
    disguised = tmp_path / "report.txt"
    disguised.write_bytes(PDF)
    with pytest.raises(UnreadableFile) as caught:
        read_articles(disguised, tmp_path)
    assert caught.value.reason == "binary file, not text"


def test_a_binary_reader_that_fails_is_that_files_skip_line(
    tmp_path: Path, registered: Callable[[Reader], None]
) -> None:
    def broken(data: bytes, file: ArticleFile) -> list[Article]:
        raise ValueError(f"bad xref table in {data[:8]!r}")

    registered(BinaryReader((".epub",), broken))
    (tmp_path / "broken.epub").write_bytes(PDF)
    with pytest.raises(UnreadableFile) as caught:
        read_articles(tmp_path / "broken.epub", tmp_path)
    # The type only: the message may quote the file's content.
    assert caught.value.reason == "could not be read (ValueError)"
    (tmp_path / "empty.epub").write_bytes(b"")
    with pytest.raises(UnreadableFile) as caught:
        read_articles(tmp_path / "empty.epub", tmp_path)
    assert caught.value.reason == "empty file"


def test_a_registered_text_reader_gets_decoded_text(
    tmp_path: Path, registered: Callable[[Reader], None]
) -> None:
    seen: list[tuple[str, list[str]]] = []

    def read_org(text: str, file: ArticleFile, notes: list[str]) -> list[Article]:
        seen.append((text, notes))
        return [build_article(text, key=file.key, path=file.path, fallback_title="Org")]

    registered(TextReader((".org",), read_org))
    (tmp_path / "plan.org").write_bytes("Caf\xe9 plans\r\nfor the harbour.".encode("cp1252"))
    read_articles(tmp_path / "plan.org", tmp_path)
    assert seen == [("Café plans\nfor the harbour.", ["decoded as cp1252"])]


def test_one_suffix_has_one_reader(registered: Callable[[Reader], None]) -> None:
    with pytest.raises(ValueError, match="already have a reader"):
        registered(BinaryReader((".epub", ".md"), RecordingPdfReader().read))
    assert ".epub" not in SUPPORTED_SUFFIXES  # refused whole, not half registered
    with pytest.raises(ValueError, match="lower case"):
        registered(BinaryReader((".EPUB",), RecordingPdfReader().read))
