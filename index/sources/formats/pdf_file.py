"""PDF (.pdf): the text layer, page by page, each paragraph cited with its page.

A PDF is read from its bytes (a `BinaryReader`) by pypdf, pure Python. Its text layer
has lines but rarely blank lines, so paragraphs are found the way a reader sees them: a
line that ends a sentence well short of the page's full line width ends a paragraph (and
a blank line, where the text layer has one). A page break always ends one, so every
paragraph lies on one page, which its citation names (`Paragraph.page`); PDF paragraphs
have no line (the file's lines are not the text's).

A PDF is hostile input like any file: its page count is bounded (`MAX_PAGES`), and so is
the text taken from a page (`MAX_PAGE_CHARS`); an encrypted, damaged or image-only
(scanned) PDF is skipped with its reason in the build report, never the end of a build.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator

from index.errors import UnreadableFile
from index.models import Article
from index.sources.paragraphs import build_article
from index.sources.reading import ArticleFile, BinaryReader

MAX_PAGES = 2_000
"""Longer documents are books, not articles: skipped, naming the count."""
MAX_PAGE_CHARS = 100_000
"""Text kept from one page (a dense page holds ~5,000): a content stream can draw more."""
SHORT_LINE = 0.75
"""A sentence-ending line shorter than this share of the page's line width ends a paragraph."""
_SENTENCE_END = re.compile(r"[.!?:;\"'\u201d\u2019)\]]\s*$")
_SPACES = re.compile(r"\s+")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})")


def read_pdf(data: bytes, file: ArticleFile) -> list[Article]:
    """The PDF as one article whose paragraphs carry their page."""
    from pypdf import PdfReader

    for name in ("pypdf", "PyPDF2"):
        # Its warnings about odd structure would land on the user's console mid-build.
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise UnreadableFile(file.shown, "encrypted PDF (needs a password)")
            count = len(reader.pages)
        except UnreadableFile:
            raise
        except Exception:  # noqa: BLE001 - any parser failure is this file's skip line
            raise UnreadableFile(file.shown, "not a readable PDF (damaged or truncated)") from None
        if count > MAX_PAGES:
            raise UnreadableFile(file.shown, f"{count:,} pages; at most {MAX_PAGES:,} are read")
        pages = [_page_text(reader, number) for number in range(count)]
        metadata = _metadata(reader)
    text, page_starts = paged_text(pages)
    if not text.strip():
        raise UnreadableFile(file.shown, "no text layer (a scanned PDF?): nothing to index")
    article = build_article(
        text,
        key=file.key,
        path=file.path,
        fallback_title=file.fallback_title,
        metadata=metadata,
        front_matter=False,
        lines=None,
        page_starts=page_starts,
    )
    return [article]


def _page_text(reader: object, number: int) -> str:
    """One page's text layer ("" for a page pypdf cannot read: the others still count)."""
    try:
        text = reader.pages[number].extract_text()  # type: ignore[attr-defined]  # a PdfReader
    except Exception:  # noqa: BLE001 - one bad page is an empty page
        return ""
    return text[:MAX_PAGE_CHARS] if isinstance(text, str) else ""


def paged_text(pages: list[str]) -> tuple[str, list[int]]:
    """The pages' paragraphs as one text, a paragraph per line with blank lines between
    (so `build_article` numbers them in order), and the line each page starts on."""
    lines: list[str] = []
    page_starts: list[int] = []
    for page in pages:
        page_starts.append(2 * len(lines) + 1)
        lines.extend(page_paragraphs(page))
    return "\n\n".join(lines), page_starts


def page_paragraphs(page: str) -> Iterator[str]:
    """The paragraphs of one page's text layer, each on one line, spaces collapsed."""
    rows = [_SPACES.sub(" ", row).strip() for row in page.replace("\r", "\n").split("\n")]
    widths = sorted(len(row) for row in rows if row)
    if not widths:
        return
    # The width of a full line: most lines of a page are full, a few end paragraphs.
    full = widths[int(0.9 * (len(widths) - 1))]
    current: list[str] = []
    for row in rows:
        if row:
            current.append(row)
        ends = not row or (_SENTENCE_END.search(row) and len(row) < SHORT_LINE * full)
        if ends and current:
            yield _joined(current)
            current = []
    if current:
        yield _joined(current)


def _joined(rows: list[str]) -> str:
    """Lines of a paragraph as one: a word hyphenated across lines is made whole."""
    text = rows[0]
    for row in rows[1:]:
        if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and row[:1].islower():
            text = text[:-1] + row
        else:
            text = f"{text} {row}"
    return text


def _metadata(reader: object) -> dict[str, str | None]:
    """Title, author and date from the document information, when it has them."""
    try:
        info = reader.metadata  # type: ignore[attr-defined]  # a PdfReader
        fields = {
            "title": info.get("/Title"),
            "author": info.get("/Author"),
            "published": info.get("/CreationDate"),
        }
    except Exception:  # noqa: BLE001 - metadata is optional: the title falls back to the name
        return {}
    found: dict[str, str | None] = {}
    for name, value in fields.items():
        if isinstance(value, str) and value.strip():
            found[name] = value
    if date := _PDF_DATE.match(found.get("published") or ""):
        found["published"] = "-".join(date.groups())
    return found


READER = BinaryReader((".pdf",), read_pdf)
