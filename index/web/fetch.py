"""One HTTP GET, bounded: a deadline, a size limit (before and after gzip), http(s) only.

The standard library's urllib does the protocol. What it leaves to us is what makes a
fetch safe on untrusted servers: a total deadline (its timeout is per socket operation,
so a server trickling a byte a second would never time out), a size limit checked
against Content-Length and while reading and while inflating gzip (a 10 kB gzip bomb
inflates to gigabytes), redirects only to http(s) (urllib would follow one to ftp), and
one short reason for every way it can fail.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from importlib import metadata
from typing import IO
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from index.errors import QAError
from index.web import DEFAULT_TIMEOUT

MAX_RESPONSE_BYTES = 10_000_000
"""Largest body read, compressed or not: an article page is well under a megabyte."""
_CHUNK = 65_536


def _user_agent() -> str:
    try:
        version = metadata.version("article-qa")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"article-qa/{version} (fetches pages its user asked for)"


USER_AGENT = _user_agent()


class FetchFailed(QAError):
    """This URL could not be fetched or saved; the message is the one-line reason."""


class NotModified(Exception):
    """The server answered 304: what we have is current (conditional GET)."""


@dataclass(frozen=True)
class Response:
    """A fetched body and the headers that say how to read it."""

    url: str
    """The final URL, after redirects."""
    content_type: str
    """The media type, lower case ('text/html'); '' when the server sent none."""
    charset: str | None
    """The charset the Content-Type header names, if any."""
    body: bytes
    """The body, gzip already undone; at most `MAX_RESPONSE_BYTES`."""
    etag: str | None = None
    last_modified: str | None = None


def check_url(url: str) -> str | None:
    """Why `url` cannot be fetched (not http/https, no host), or None when it can."""
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "URL contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # a bad port raises here, not later inside urllib
    except ValueError as error:
        return f"not a valid URL ({error})"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http:// and https:// URLs can be fetched"
    if not parts.hostname:
        return "URL names no host"
    return None


def ascii_url(url: str) -> str:
    """`url` as urllib can send it: a non-ASCII host in IDNA, other non-ASCII %-escaped."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if not netloc.isascii():
        host = parts.hostname or ""
        try:
            netloc = netloc.replace(host, host.encode("idna").decode("ascii"))
        except UnicodeError:
            raise FetchFailed("not a valid host name") from None
    rest = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    return f"{parts.scheme}://{netloc}" + quote(rest, safe=_URL_SAFE)


# Every character a URL may hold as it is (reserved, unreserved and `%`): only the rest
# (spaces are refused earlier; non-ASCII letters) is escaped.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 10

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        reason = check_url(newurl)
        if reason is not None:
            raise FetchFailed(f"redirected to a URL that cannot be fetched ({reason})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def fetch(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_RESPONSE_BYTES,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """GET `url`; raises `FetchFailed` with a one-line reason, or `NotModified` on 304."""
    reason = check_url(url)
    if reason is not None:
        raise FetchFailed(reason)
    request = urllib.request.Request(
        ascii_url(url),
        headers={
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip",
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
            **(headers or {}),
        },
    )
    deadline = time.monotonic() + timeout
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            raw = _read_bounded(answer, deadline, timeout, max_bytes)
            final_url = answer.geturl()
            info: Message = answer.headers
    except urllib.error.HTTPError as error:
        if error.code == 304:
            raise NotModified() from None
        if 300 <= error.code < 400:
            raise FetchFailed(_redirect_reason(error)) from None
        # The reason phrase is the server's own words: bounded (and escaped when shown).
        raise FetchFailed(f"HTTP {error.code} {str(error.reason)[:100]}".rstrip()) from None
    except urllib.error.URLError as error:
        raise FetchFailed(_network_reason(error.reason, timeout)) from None
    except TimeoutError:
        raise FetchFailed(_timed_out(timeout)) from None
    except (http.client.HTTPException, OSError) as error:
        raise FetchFailed(_network_reason(error, timeout)) from None
    except ValueError as error:
        # http.client refuses a URL or header it cannot send (InvalidURL, a stored ETag
        # with a line break) with ValueError.
        raise FetchFailed(f"cannot send this request ({str(error)[:200]})") from None
    encoding = (info.get("Content-Encoding") or "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        raw = _gunzip(raw, max_bytes)
    elif encoding not in ("identity", ""):
        raise FetchFailed(f"unsupported Content-Encoding {encoding[:40]!r}")
    return Response(
        url=final_url,
        content_type=info.get_content_type() if info.get("Content-Type") else "",
        charset=info.get_content_charset(),
        body=raw,
        etag=info.get("ETag"),
        last_modified=info.get("Last-Modified"),
    )


def _read_bounded(
    answer: http.client.HTTPResponse, deadline: float, timeout: float, max_bytes: int
) -> bytes:
    declared = answer.headers.get("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > max_bytes:
        raise FetchFailed(_too_large(max_bytes))
    chunks: list[bytes] = []
    size = 0
    while chunk := answer.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchFailed(_too_large(max_bytes))
        if time.monotonic() > deadline:
            raise FetchFailed(_timed_out(timeout))
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(data, max_bytes + 1)
    except zlib.error:
        raise FetchFailed("damaged gzip response") from None
    if len(body) > max_bytes:
        raise FetchFailed(_too_large(max_bytes) + " once decompressed")
    if not inflater.eof:
        raise FetchFailed("truncated gzip response")
    return body


def _redirect_reason(error: urllib.error.HTTPError) -> str:
    """Why a redirect was not followed: urllib refuses some schemes itself, and loops."""
    target = error.headers.get("Location") if error.headers else None
    if not target:
        return f"HTTP {error.code} redirect without a Location"
    why = check_url(urljoin(error.url, target))
    if why is None:
        return "too many redirects (a redirect loop?)"
    return f"redirected to a URL that cannot be fetched ({why})"


def _too_large(max_bytes: int) -> str:
    return f"response larger than {max_bytes / 1_000_000:g} MB"


def _timed_out(timeout: float) -> str:
    return f"timed out after {timeout:g} s"


def _network_reason(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError):
        return _timed_out(timeout)
    if isinstance(reason, FetchFailed):
        return str(reason)
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    if isinstance(reason, http.client.RemoteDisconnected):
        return "server closed the connection without answering"
    if isinstance(reason, http.client.IncompleteRead):
        return "connection closed before the whole page arrived"
    text = str(reason) or type(reason).__name__
    return text[:200]
