"""Feeds for tests, in the three shapes the web uses: RSS 2.0, RSS 1.0 (RDF) and Atom."""

from __future__ import annotations

from html import escape

LONG = (
    "The regional council approved a new tram line on Monday, linking the university "
    "district with the central station. Construction will start in the autumn and the "
    "first trams are expected to run within three years, the council's transport "
    "committee said. The line will cost 310 million euros, most of it paid by the state. "
    "Shopkeepers on the route asked for compensation for the years of roadworks ahead."
)


def rss2(items: list[dict[str, str]], title: str = "Valley News") -> bytes:
    """RSS 2.0; an item's `content` goes into `content:encoded`, `summary` into description."""
    entries = "".join(
        "<item>"
        + f"<title>{escape(i['title'])}</title>"
        + (f"<link>{escape(i['link'])}</link>" if "link" in i else "")
        + (f"<guid>{escape(i['guid'])}</guid>" if "guid" in i else "")
        + "<pubDate>Mon, 06 May 2024 09:30:00 +0000</pubDate>"
        + (f"<description>{escape(i['summary'])}</description>" if "summary" in i else "")
        + (
            f"<content:encoded><![CDATA[{i['content']}]]></content:encoded>"
            if "content" in i
            else ""
        )
        + "</item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>http://example.invalid/</link>"
        f"<description>news</description>{entries}</channel></rss>"
    ).encode()


def atom(items: list[dict[str, str]], title: str = "Atom Times") -> bytes:
    entries = "".join(
        f"<entry><title>{escape(i['title'])}</title><id>{escape(i['guid'])}</id>"
        f'<link href="{escape(i["link"])}"/><updated>2024-05-07T10:00:00Z</updated>'
        + (f'<content type="html">{escape(i["content"])}</content>' if "content" in i else "")
        + (f"<summary>{escape(i['summary'])}</summary>" if "summary" in i else "")
        + "</entry>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test:feed</id>"
        f"<updated>2024-05-07T10:00:00Z</updated>{entries}</feed>"
    ).encode()


def rss1(items: list[dict[str, str]], title: str = "RDF Post") -> bytes:
    entries = "".join(
        f'<item rdf:about="{escape(i["link"])}"><title>{escape(i["title"])}</title>'
        f"<link>{escape(i['link'])}</link><dc:date>2024-05-08</dc:date>"
        f"<description>{escape(i.get('summary', ''))}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="http://example.invalid/"><title>{escape(title)}</title>'
        f"<link>http://example.invalid/</link><description>d</description></channel>"
        f"{entries}</rdf:RDF>"
    ).encode()
