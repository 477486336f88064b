"""`qa add URL`: one page fetched, its article extracted and saved (or a reason why not).

Feeds use it too, for items that carry only a link. Whatever fails, nothing is written:
the article file is only created (or replaced) once the page has proved to be an article.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from index.web.fetch import DEFAULT_TIMEOUT, fetch
from index.web.pages import WebArticle, article_from_page, page_text
from index.web.saving import Saved, canonical_url, save_article


def add_page(
    url: str,
    folder: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    known: WebArticle | None = None,
) -> Saved:
    """Fetch `url`, extract its article and save it into `folder`.

    `known` is what a feed already said of the page (title, date, author, source): it
    fills what the page itself does not say. Raises `FetchFailed` with the reason.
    """
    response = fetch(url, timeout=timeout)
    # The final URL, after redirects, without its fragment or tracking parameters.
    article = article_from_page(page_text(response), canonical_url(response.url))
    if known is not None:
        article = replace(
            article,
            title=article.title or known.title,
            source=article.source or known.source,
            author=article.author or known.author,
            published=article.published or known.published,
        )
    return save_article(article, folder)
