"""Walking a library folder and reading each kind of file, on real files in tmp_path."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from index.errors import UnreadableFile
from index.models import Article, Skipped
from index.sources.discovery import DEFAULT_MAX_BYTES, SUPPORTED_SUFFIXES, discover_files
from index.sources.readers import read_articles

SAMPLE = Path(__file__).parents[2] / "index" / "sample" / "moscow-times-belarus-reserve.txt"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def discovered(root: Path, **kwargs: int) -> list[Path | Skipped]:
    return list(discover_files(root, **kwargs))  # type: ignore[arg-type]


def read_one(path: Path, root: Path | None = None) -> Article:
    articles = read_articles(path, root or path.parent)
    assert len(articles) == 1
    return articles[0]


def unreadable_reason(path: Path) -> str:
    with pytest.raises(UnreadableFile) as caught:
        read_articles(path, path.parent)
    assert caught.value.path == str(path)
    return caught.value.reason


def test_contract_constants() -> None:
    assert SUPPORTED_SUFFIXES == {
        *(".txt", ".md", ".html", ".htm", ".jsonl"),
        *(".rss", ".atom", ".xml", ".pdf"),
    }
    assert DEFAULT_MAX_BYTES == 20_000_000


def test_discovery_is_sorted_recursive_and_ignores_hidden_and_other_files(tmp_path: Path) -> None:
    for name in ["b.txt", "a.md", "sub/c.html", "sub/d.jsonl", "z.HTM", "notes.docx", "e.txt~"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    for hidden in [".hidden.txt", ".git/config.txt"]:
        (tmp_path / hidden).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / hidden).write_text("x", encoding="utf-8")
    assert discovered(tmp_path) == [
        tmp_path / "a.md",
        tmp_path / "b.txt",
        tmp_path / "sub" / "c.html",
        tmp_path / "sub" / "d.jsonl",
        tmp_path / "z.HTM",
    ]


def test_a_single_file_root(tmp_path: Path) -> None:
    article = tmp_path / "one.txt"
    article.write_text("Hello.", encoding="utf-8")
    assert discovered(article) == [article]
    other = tmp_path / "scan.tiff"
    other.write_bytes(b"II*\x00")
    [skipped] = discovered(other)
    assert isinstance(skipped, Skipped) and skipped.reason.startswith("unsupported file type")


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret", encoding="utf-8")
    library = tmp_path / "library"
    library.mkdir()
    (library / "leak.txt").symlink_to(outside / "secret.txt")
    (library / "leakdir").symlink_to(outside)
    (library / "ok.txt").write_text("fine", encoding="utf-8")
    (library / "alias.txt").symlink_to(library / "ok.txt")
    assert discovered(library) == [
        library / "alias.txt",
        Skipped(str(library / "leak.txt"), "symlink leads outside the folder: refused"),
        Skipped(str(library / "leakdir"), "symlink leads outside the folder: refused"),
        library / "ok.txt",
    ]


def test_symlink_loops_do_not_hang(tmp_path: Path) -> None:
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "up").symlink_to(tmp_path)
    (sub / "real.txt").write_text("text", encoding="utf-8")
    (tmp_path / "broken.txt").symlink_to(tmp_path / "missing.txt")
    result: list[Path | Skipped] = []
    worker = threading.Thread(target=lambda: result.extend(discover_files(tmp_path)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    assert result == [
        Skipped(str(tmp_path / "broken.txt"), "broken symlink: its target does not exist"),
        Skipped(str(tmp_path / "self.txt"), "symlink loop"),
        sub / "real.txt",
        Skipped(str(sub / "up"), "symlink loop: links back to a folder containing it"),
    ]


def test_fifo_and_socket_are_skipped_without_opening(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    listener = socket.socket(socket.AF_UNIX)
    # AF_UNIX paths are short: bind by a relative name from inside tmp_path.
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        listener.bind("sock.md")
    finally:
        os.chdir(cwd)
    try:
        result: list[Path | Skipped] = []
        worker = threading.Thread(target=lambda: result.extend(discover_files(tmp_path)))
        worker.daemon = True
        worker.start()
        worker.join(10)
        assert not worker.is_alive()
        assert result == [
            Skipped(str(tmp_path / "pipe.txt"), "named pipe, not a regular file"),
            Skipped(str(tmp_path / "sock.md"), "socket, not a regular file"),
        ]
    finally:
        listener.close()
    # Reading one directly (it was swapped in after discovery) fails at once, too.
    assert unreadable_reason(tmp_path / "pipe.txt") == "named pipe, not a regular file"


def test_file_over_the_limit_is_skipped_with_its_size(tmp_path: Path) -> None:
    big = tmp_path / "dump.txt"
    with big.open("wb") as out:
        out.truncate(25_300_000)
    assert discovered(tmp_path) == [
        Skipped(str(big), "file is 25.3 MB, over the 20.0 MB limit"),
    ]
    small_limit = discovered(tmp_path, max_bytes=30_000_000)
    assert small_limit == [big]
    with big.open("wb") as out:
        out.truncate(20_040_000)
    [skipped] = discovered(tmp_path)
    assert isinstance(skipped, Skipped)
    assert skipped.reason == "file is 20.04 MB, over the 20.00 MB limit"


def test_non_utf8_file_name_is_reported_printably(tmp_path: Path) -> None:
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt")
    with open(raw, "wb") as out:
        out.write(b"Some text.")
    (tmp_path / "fine.txt").write_text("Fine.", encoding="utf-8")
    result = discovered(tmp_path)
    assert result == [
        Skipped(f"{tmp_path}/caf\\xe9.txt", "name is not valid UTF-8; rename it to index it"),
        tmp_path / "fine.txt",
    ]
    # Named directly it is refused the same way; read anyway, it is shown printably.
    path = Path(os.fsdecode(raw))
    assert discovered(path) == result[:1]
    article = read_one(path)
    assert (article.key, article.title) == ("caf\\xe9.txt", "Caf\\xe9")
    assert article.path == f"{tmp_path}/caf\\xe9.txt"
    assert article.paragraphs[0].text == "Some text."


def test_sample_article_reads_with_ordinals_and_flags(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    article = read_one(tmp_path / SAMPLE.name, tmp_path)
    assert article.key == SAMPLE.name
    assert article.path == str(tmp_path / SAMPLE.name)
    assert article.title == "Moscow times belarus reserve"
    assert [p.ordinal for p in article.paragraphs] == list(range(17))
    assert [p.ordinal for p in article.paragraphs if p.boilerplate] == list(range(9, 17))
    assert article.notes == ()


def test_key_is_relative_posix_path_or_the_file_name(tmp_path: Path) -> None:
    nested = tmp_path / "world" / "europe" / "story.txt"
    nested.parent.mkdir(parents=True)
    nested.write_text("Text.", encoding="utf-8")
    assert read_one(nested, tmp_path).key == "world/europe/story.txt"
    assert read_one(nested, nested).key == "story.txt"


def test_front_matter_in_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "harbour-bridge.txt"
    path.write_text(
        "Title: Harbour bridge reopens\nSource: Coastal Herald\nPublished: 4 March 2021\n"
        "Author: Ana Silva\nURL: https://herald.example/bridge\n\n"
        "The bridge reopened.\n\nIt cost 41 million euros.",
        encoding="utf-8",
    )
    article = read_one(path)
    assert (article.title, article.source, article.published, article.author, article.url) == (
        "Harbour bridge reopens",
        "Coastal Herald",
        "2021-03-04",
        "Ana Silva",
        "https://herald.example/bridge",
    )
    assert [(p.ordinal, p.text) for p in article.paragraphs] == [
        (1, "The bridge reopened."),
        (2, "It cost 41 million euros."),
    ]


def test_only_front_matter_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "stub.txt"
    path.write_text("Title: Nothing here\nSource: Nobody\n", encoding="utf-8")
    assert unreadable_reason(path) == "no text besides the front matter"


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_crlf_and_cr_files_read_like_lf(tmp_path: Path, newline: bytes) -> None:
    text = b"Title: T\n\nFirst para\nwrapped.\n\nSecond.\n"
    (tmp_path / "lf.txt").write_bytes(text)
    (tmp_path / "other.txt").write_bytes(text.replace(b"\n", newline))
    lf, other = read_one(tmp_path / "lf.txt"), read_one(tmp_path / "other.txt")
    assert other.paragraphs == lf.paragraphs and other.title == lf.title == "T"


@pytest.mark.parametrize(
    ("data", "note"),
    [
        ("Café “quoted” — naïve".encode(), None),
        (codecs.BOM_UTF8 + "Café".encode(), None),
        ("Café “quoted” — naïve".encode("cp1252"), "decoded as cp1252"),
        ("Café naïve \x81".encode("latin-1"), "decoded as latin-1"),
        (codecs.BOM_UTF16_LE + "Café “quoted”".encode("utf-16-le"), "UTF-16 with BOM"),
        (codecs.BOM_UTF16_BE + "Café “quoted”".encode("utf-16-be"), "UTF-16 with BOM"),
    ],
)
def test_encodings_are_decoded_and_noted(tmp_path: Path, data: bytes, note: str | None) -> None:
    path = tmp_path / "enc.txt"
    path.write_bytes(data)
    article = read_one(path)
    assert article.paragraphs[0].text.startswith("Café")
    assert article.notes == ((note,) if note else ())


def test_mostly_utf8_with_a_stray_byte_keeps_its_characters(tmp_path: Path) -> None:
    path = tmp_path / "stray.txt"
    path.write_bytes("Café “quoted” — naïve ".encode() + b"\xff end")
    article = read_one(path)
    assert article.paragraphs[0].text == "Café “quoted” — naïve \ufffd end"
    assert article.notes == ("1 invalid UTF-8 byte(s) replaced",)


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  \n", codecs.BOM_UTF8 + b"\n\n"])
def test_empty_and_whitespace_only_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert unreadable_reason(path) == "empty file"


@pytest.mark.parametrize(
    "content",
    [PNG, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"text then a NUL \x00 byte", bytes(range(256)) * 4],
)
def test_binary_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(content)
    assert unreadable_reason(path) == "binary file, not text"


def test_invalid_utf16_is_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "bad16.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + b"a\x00\x00\xd8b\x00")  # a lone surrogate
    assert unreadable_reason(path) == "undecodable text: invalid UTF-16"


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    assert unreadable_reason(tmp_path / "gone.txt") == "file vanished before it could be read"
    locked = tmp_path / "locked.txt"
    locked.write_text("secret", encoding="utf-8")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        assert unreadable_reason(locked) == "permission denied"
    finally:
        locked.chmod(0o644)


def test_five_megabyte_single_paragraph_reads(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    sentence = "The council approved the budget after a long debate. "
    path.write_text(sentence * (5_000_000 // len(sentence)), encoding="utf-8")
    article = read_one(path)
    assert len(article.paragraphs) == 1
    assert len(article.paragraphs[0].text) > 4_900_000


def test_markdown_heading_names_the_article(tmp_path: Path) -> None:
    path = tmp_path / "orchard-frost.md"
    path.write_text("# Late frost hits orchards\n\nA late **frost** hit.\n", encoding="utf-8")
    article = read_one(path)
    assert article.title == "Late frost hits orchards"
    assert [(p.ordinal, p.text) for p in article.paragraphs] == [
        (0, "Late frost hits orchards"),
        (1, "A late **frost** hit."),
    ]


PAGE = """<!doctype html><html><head><title>Harbour bridge reopens | Coastal Herald</title>
<meta property="og:site_name" content="Coastal Herald"><meta name="author" content="Ana Silva">
<meta property="article:published_time" content="2021-03-04T10:00:00Z">
<link rel="canonical" href="https://herald.example/bridge"></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<article><h1>Harbour bridge reopens</h1>
<p>The harbour bridge reopened to traffic on Thursday after eight months of repairs.</p>
<p>Mayor Ines Duarte said the city spent 41 million euros on the work.</p>
<p>Ferry operators said passenger numbers fell by a third once the bridge reopened.</p>
</article><footer><p>Copyright 2021 Coastal Herald. All rights reserved.</p>
<a href="/privacy">Privacy</a></footer><script>track("x")</script></body></html>"""


def test_html_main_text_and_metadata(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bridge.html"
    path.write_text(PAGE, encoding="utf-8")
    article = read_one(path)
    assert (article.title, article.source, article.url, article.published, article.author) == (
        "Harbour bridge reopens",
        "Coastal Herald",
        "https://herald.example/bridge",
        "2021-03-04",
        "Ana Silva",
    )
    texts = [p.text for p in article.paragraphs]
    assert any("41 million euros" in t for t in texts)
    assert not any("Home" == t or "track(" in t or "Privacy" == t for t in texts)
    assert [p.ordinal for p in article.paragraphs] == list(range(len(texts)))
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_broken_html_falls_back_quietly(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.htm"
    path.write_bytes(b"<html><head><title>Bits</title><body><div><p>Unclosed <b>bold \xe9t\xe9")
    article = read_one(path)
    assert [p.text for p in article.paragraphs] == ["Unclosed bold été"]
    assert (article.title, article.notes) == ("Bits", ("decoded as cp1252",))
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><script>var x;</script></body></html>", encoding="utf-8")
    assert unreadable_reason(empty) == "no text found in the HTML page"


def test_html_declared_charset_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "ru.html"
    body = "<p>Кремль заявил, что резерв не нужен.</p>"
    page = f'<html><head><meta charset="windows-1251"></head><body>{body}</body></html>'
    path.write_bytes(page.encode("cp1251"))
    article = read_one(path)
    assert "Кремль" in article.paragraphs[0].text
    assert article.notes[0] == "decoded as cp1251 (declared)"


def test_jsonl_one_article_per_valid_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps(
            {
                "title": "Bridge",
                "text": "The bridge reopened.\n\nIt cost\n41 million.",
                "url": "https://x.example/1",
                "source": "Herald",
                "author": "Ana",
                "published": "March 4, 2021",
            }
        ),
        "{not json",
        "",
        json.dumps(["a list"]),
        json.dumps({"title": "No text"}),
        "also not json",
        json.dumps({"title": "Frost", "text": "Line one\nLine two"}),
        json.dumps({"text": "Untitled piece."}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles = read_articles(path, tmp_path)
    assert [a.key for a in articles] == ["feed.jsonl#0", "feed.jsonl#1", "feed.jsonl#2"]
    first, second, third = articles
    assert (first.title, first.source, first.url, first.author, first.published) == (
        "Bridge",
        "Herald",
        "https://x.example/1",
        "Ana",
        "2021-03-04",
    )
    assert [(p.ordinal, p.text) for p in first.paragraphs] == [
        (0, "The bridge reopened."),
        (1, "It cost 41 million."),
    ]
    assert [(p.ordinal, p.text) for p in second.paragraphs] == [(0, "Line one"), (1, "Line two")]
    assert third.title == "Feed #2"
    assert first.notes == (
        "1 line skipped: no text",
        "2 lines skipped: not JSON",
        "1 line skipped: not a JSON object",
    )
    assert second.notes == () and {a.path for a in articles} == {str(path)}


def test_jsonl_without_valid_lines_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('oops\n{"title": "x"}\n', encoding="utf-8")
    assert unreadable_reason(path) == "no valid JSON articles"
