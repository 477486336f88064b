"""A web site for tests on 127.0.0.1: pages, feeds, redirects, errors, slow and gzipped
answers, served by `http.server` in a thread. No test reaches beyond this machine."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    """What the site answers at one path."""

    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (a slow server)."""
    gzipped: bool = False
    etag: str | None = None
    """When set, a request with a matching If-None-Match gets 304."""
    last_modified: str | None = None
    """When set, a request with this If-Modified-Since gets 304."""


@dataclass
class Site:
    base: str
    pages: dict[str, Page]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.requests if seen == path]


def article_html(title: str, paragraphs: list[str], *, charset_meta: str | None = None) -> str:
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>\n{body}</article>"
        "<footer>Copyright Test Herald</footer></body></html>"
    )


@contextmanager
def local_site(pages: dict[str, Page]) -> Iterator[Site]:
    site = Site("", pages)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  # http.server's name
            site.requests.append((self.path, dict(self.headers.items())))
            page = site.pages.get(self.path)
            if page is None:
                self.send_error(404, "Not Found")
                return
            if page.delay:
                time.sleep(page.delay)
            unchanged = page.etag and self.headers.get("If-None-Match") == page.etag
            since = self.headers.get("If-Modified-Since")
            if unchanged or (page.last_modified and since == page.last_modified):
                self.send_response(304)
                self.end_headers()
                return
            body = gzip.compress(page.body) if page.gzipped else page.body
            self.send_response(page.status)
            if page.content_type:
                self.send_header("Content-Type", page.content_type)
            if page.gzipped:
                self.send_header("Content-Encoding", "gzip")
            if page.etag:
                self.send_header("ETag", page.etag)
            if page.last_modified:
                self.send_header("Last-Modified", page.last_modified)
            for name, value in page.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: test output only

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll: shutting down waits for one, and every test starts and stops a site.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
