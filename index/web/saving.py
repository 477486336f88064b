"""A web article as a file in the articles folder: named by its URL, written whole or not at all.

The file is plain text with front matter (`Title:`, `Source:`, `URL:`, `Published:`,
`Author:` lines, then a blank line, then one paragraph per block), which the text reader
already reads, so a saved page is an ordinary article the user can open, edit or delete.
Its name comes from the URL, which is untrusted: only lower-case ASCII letters and
digits survive, the length is bounded, and a hash of the whole URL keeps two pages apart,
so the same URL always lands on the same file and no URL can name another path.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from index.sources.paragraphs import MAX_FIELD_CHARS
from index.web.pages import WebArticle

ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"
_MAX_SLUG = 60
_NOT_NAME = re.compile(r"[^a-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Query parameters that track where a reader came from, not which page it is.
_TRACKING = re.compile(r"utm_\w+|fbclid|gclid|mc_cid|mc_eid", re.IGNORECASE)


@dataclass(frozen=True)
class Saved:
    """One article saved: where, and whether it was new, changed or the same as before."""

    url: str
    path: Path
    title: str | None
    status: str
    """`ADDED`, `UPDATED` or `UNCHANGED`."""


def canonical_url(url: str) -> str:
    """`url` as the article's identity: no fragment, no tracking parameters, no
    credentials, host in lower case, so the same page reached two ways is one article."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = urlencode([(k, v) for k, v in query if not _TRACKING.fullmatch(k)])
    # No user name or password: the URL is shown in every citation of the article.
    netloc = parts.netloc.rpartition("@")[2].lower()
    for scheme, port in (("http", ":80"), ("https", ":443")):
        if parts.scheme.lower() == scheme and netloc.endswith(port):
            netloc = netloc[: -len(port)]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", kept, ""))


def file_name(url: str) -> str:
    """A safe, stable file name for the article at `url`: `host-slug-hash.txt`."""
    canonical = canonical_url(url)
    parts = urlsplit(canonical)
    host = _NOT_NAME.sub("-", (parts.hostname or "page").lower()).strip("-")[:_MAX_SLUG]
    host = host.removeprefix("www-") or "page"
    words = _NOT_NAME.sub("-", parts.path.lower()).strip("-")
    # The end of the path names the article; the start is often a section ("news-world").
    slug = words[-_MAX_SLUG:].lstrip("-")
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return "-".join(part for part in (host, slug, digest) if part) + ".txt"


def render(article: WebArticle) -> str:
    """The article file's text: front matter, then paragraphs separated by blank lines."""
    fields = (
        ("Title", article.title),
        ("Source", article.source),
        ("URL", article.url),
        ("Published", article.published),
        ("Author", article.author),
    )
    header = [f"{name}: {value}" for name, raw in fields if (value := _one_line(raw))]
    return "\n\n".join(["\n".join(header), *article.paragraphs]) + "\n"


def save_article(article: WebArticle, folder: Path) -> Saved:
    """Write the article into `folder` (created if needed), replacing an older copy of it.

    Written to a hidden temporary file and renamed over the old one: a crash or a full
    disk leaves the old file or the new one, never half of one.
    """
    path = folder / file_name(article.url)
    text = render(article)
    try:
        old = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        old = None
    if old == text:
        return Saved(article.url, path, article.title, UNCHANGED)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text.encode("utf-8"))
    return Saved(article.url, path, article.title, ADDED if old is None else UPDATED)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename, after the data is on disk."""
    # Hidden (a leading dot): a build scanning the folder meanwhile passes it over. Made
    # with the usual file mode (umask applies), unlike `tempfile`'s private 0600.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _one_line(value: str | None) -> str | None:
    """A metadata value fit for one front-matter line: no controls, no line breaks."""
    if not value:
        return None
    text = " ".join(_CONTROL.sub(" ", value).split())[:MAX_FIELD_CHARS]
    return text or None
