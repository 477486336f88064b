"""Fetching a page and making it an article, against a web site the test runs on 127.0.0.1."""

from __future__ import annotations

import gzip

import pytest
from web_support import Page, article_html, local_site

from index.web.fetch import USER_AGENT, FetchFailed, check_url, fetch
from index.web.pages import article_from_page, page_text

PARAGRAPHS = [
    "The harbour bridge reopened to traffic on Thursday after eight months of repairs to "
    "its steel cables, the city council said in a statement.",
    "Mayor Ines Duarte said the city spent 41 million euros on the work and thanked "
    "residents for their patience during the long closure of the crossing.",
    "Ferry operators reported that passenger numbers fell by a third once the bridge "
    "reopened, and two routes will be cut from the spring timetable.",
]
HTML = article_html("Harbour bridge reopens", PARAGRAPHS).encode()


def _article(url: str, **options: float):
    response = fetch(url, **options)
    return response, article_from_page(page_text(response), response.url)


def test_a_page_becomes_its_article_with_title_and_paragraphs() -> None:
    with local_site({"/bridge": Page(HTML)}) as site:
        response, article = _article(site.url("/bridge"))
        headers = site.hits("/bridge")[0]
    assert article.title == "Harbour bridge reopens"
    assert article.paragraphs[-3:] == tuple(PARAGRAPHS)
    assert not any("Home" in p or "Copyright" in p for p in article.paragraphs)
    assert headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("article-qa/")


def test_redirects_are_followed_and_the_final_url_recorded() -> None:
    pages = {
        "/old": Page(status=301, headers={"Location": "/moved"}),
        "/moved": Page(status=302, headers={"Location": "/bridge"}),
        "/bridge": Page(HTML),
    }
    with local_site(pages) as site:
        response, article = _article(site.url("/old"))
        assert response.url == article.url == site.url("/bridge")


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.com/a"])
def test_a_redirect_out_of_http_is_refused(target: str) -> None:
    pages = {"/old": Page(status=302, headers={"Location": target})}
    with local_site(pages) as site, pytest.raises(FetchFailed) as caught:
        fetch(site.url("/old"))
    assert str(caught.value) == (
        "redirected to a URL that cannot be fetched (only http:// and https:// URLs can be fetched)"
    )


def test_a_url_with_non_ascii_letters_is_sent_escaped() -> None:
    with local_site({"/caf%C3%A9?q=%C3%BC": Page(HTML)}) as site:
        response = fetch(site.url("/café?q=ü"))
    assert response.url == site.url("/caf%C3%A9?q=%C3%BC")


def test_a_redirect_loop_ends() -> None:
    pages = {"/a": Page(status=302, headers={"Location": "/b"})}
    pages["/b"] = Page(status=302, headers={"Location": "/a"})
    with local_site(pages) as site, pytest.raises(FetchFailed, match="too many redirects"):
        fetch(site.url("/a"))


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (None, "HTTP 404 Not Found"),
        (Page(b"oops", status=500), "HTTP 500 Internal Server Error"),
        (Page(b"%PDF-1.4 ...", content_type="application/pdf"), "not an HTML page"),
        (Page(b"\x89PNG\r\n", content_type=None), "not an HTML page"),
        (
            Page(b"<rss/>", content_type="application/rss+xml"),
            "not an HTML page (Content-Type: application/rss+xml); to follow a feed, use "
            "`qa feed add`",
        ),
    ],
)
def test_http_errors_and_other_content_each_get_a_reason(page: Page | None, reason: str) -> None:
    with local_site({"/x": page} if page else {}) as site, pytest.raises(FetchFailed) as caught:
        _article(site.url("/x"))
    assert str(caught.value).startswith(reason)


def test_a_slow_server_times_out_after_the_timeout_given() -> None:
    with local_site({"/slow": Page(HTML, delay=3)}) as site:
        with pytest.raises(FetchFailed, match=r"^timed out after 0\.5 s$"):
            fetch(site.url("/slow"), timeout=0.5)


def test_a_connection_refused_is_one_reason() -> None:
    with local_site({}) as site:
        url = site.url("/gone")
    # The server is shut down: nothing listens on its port any more.
    with pytest.raises(FetchFailed, match="refused"):
        fetch(url, timeout=2)


def test_gzip_is_undone() -> None:
    with local_site({"/gz": Page(HTML, gzipped=True)}) as site:
        response, article = _article(site.url("/gz"))
        assert site.hits("/gz")[0]["Accept-Encoding"] == "gzip"
    assert response.body == HTML and article.paragraphs[-1] == PARAGRAPHS[-1]


def test_responses_are_bounded_before_and_after_gzip() -> None:
    bomb = gzip.decompress(gzip.compress(b" " * 5_000_000))  # 5 MB of spaces
    pages = {"/big": Page(b"x" * 5000), "/bomb": Page(bomb, gzipped=True)}
    with local_site(pages) as site:
        with pytest.raises(FetchFailed, match="larger than 0.001 MB"):
            fetch(site.url("/big"), max_bytes=1000)
        assert len(gzip.compress(bomb)) < 100_000
        with pytest.raises(FetchFailed, match="larger than 1 MB once decompressed"):
            fetch(site.url("/bomb"), max_bytes=1_000_000)


WORDS = "Café crème brûlée à la façon de Zoë, naïve déjà vu"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        # The header names the charset.
        (article_html(WORDS, [WORDS * 10]).encode("cp1252"), "text/html; charset=windows-1252"),
        # No charset in the header: the page's <meta charset> says it.
        (
            article_html(WORDS, [WORDS * 10], charset_meta="iso-8859-1").encode("latin-1"),
            "text/html",
        ),
        # A charset no codec knows, then no declaration at all: UTF-8 is tried, then cp1252.
        (article_html(WORDS, [WORDS * 10]).encode("utf-8"), "text/html; charset=x-unknown"),
        (article_html(WORDS, [WORDS * 10]).encode("cp1252"), "text/html"),
        # No Content-Type at all: an HTML body is still a page.
        (article_html(WORDS, [WORDS * 10]).encode("utf-8"), None),
    ],
    ids=["header", "meta", "unknown-charset-utf8", "undeclared-cp1252", "no-content-type"],
)
def test_text_is_decoded_by_header_then_page_then_fallback(
    body: bytes, content_type: str | None
) -> None:
    with local_site({"/p": Page(body, content_type=content_type)}) as site:
        _, article = _article(site.url("/p"))
    assert article.title == WORDS
    assert WORDS in article.paragraphs[-1]


def test_a_paywall_stub_is_too_little_text() -> None:
    stub = article_html("Big scoop", ["Subscribe to read the full story."]).encode()
    with local_site({"/paid": Page(stub)}) as site, pytest.raises(FetchFailed) as caught:
        _article(site.url("/paid"))
    assert str(caught.value).startswith("too little text (")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a",
        "file:///etc/passwd",
        "example.com/a",
        "http://",
        "http://a b/",
        "http://example.com:99999/",
        "javascript:alert(1)",
    ],
)
def test_only_http_urls_with_a_host_are_fetched(url: str) -> None:
    assert check_url(url) is not None
    with pytest.raises(FetchFailed):
        fetch(url)
