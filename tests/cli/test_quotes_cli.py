"""`qa quotes` and `qa speakers` through the real command over real builds.

The quotes come from whatever extractor `index.sources.quotes` holds, so these tests pin
the plumbing with quotes any competent extractor finds: the bundled sample's seed (two
Dmitry Peskov quotes in paragraphs 1 and 3, Vladimir Putin's in paragraph 2, nothing
from the donation appeal) and a few hand-written articles whose quotes are unambiguous
("“We will stay,” said Jane Doe.").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from library_fixtures import SAMPLE, build, make_library

from index.build.context import PreparedFile
from index.build.quotes import QuoteStep
from index.build.run import FILE_STEPS
from index.store import migrations

QA = [sys.executable, "-m", "qa"]

ARTICLES = {
    "port-strike.txt": (
        "Title: Port strike ends\nSource: Coastal Herald\nPublished: 2021-03-04\n\n"
        "Dock workers returned to the port on Thursday after a two-week strike.\n\n"
        "“We will stay until every ship is unloaded,” said Jane Doe.\n\n"
        "“The cranes are running again tonight,” said Zoë Ørsted."
    ),
    "valley-frost.md": (
        "Title: Frost in the valley\nSource: Valley Farmer\nPublished: 2022-04-20\n\n"
        "A late frost destroyed most of the apricot blossoms this week.\n\n"
        "“The frost cost us the whole apricot harvest,” said Jane Doe."
    ),
}
"""Jane Doe is quoted in both (2021 and 2022), Zoë Ørsted once; each quote is direct."""

QUOTE_KEYS = {"text", "direct", "citation", "speaker", "cue"}
CITATION_KEYS = {"article", "path", "title", "source", "url", "published"}
CITATION_KEYS |= {"paragraph", "line", "page", "start", "end"}
SPAN_KEYS = {"paragraph", "start", "end", "text"}
DONATION_APPEAL = 9
"""The sample's paragraphs from here on are the publisher's appeal, not the news."""


def qa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*QA, *args], capture_output=True, text=True, env=dict(os.environ), timeout=300
    )


def write_articles(folder: Path) -> Path:
    make_library(folder, extra=False)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("quotes")
    build(root / "index", write_articles(root / "articles"))
    return root / "index"


def quotes(index_dir: Path, *args: str) -> list[dict]:
    result = qa("quotes", "--json", "--index", str(index_dir), *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def paragraphs(path: str) -> list[str]:
    """The file's paragraphs as the readers number them (every test file has front matter
    blocks or one paragraph per line, and no hard-wrapped lines)."""
    text = Path(path).read_text("utf-8")
    return text.split("\n\n") if "\n\n" in text else text.split("\n")


def test_the_seed_peskov_quotes_are_found_by_surname_with_exact_spans(index: Path) -> None:
    peskov = quotes(index, "--speaker", "Peskov")
    assert [q["citation"]["paragraph"] for q in peskov] == [1, 3]
    assert {q["speaker"]["name"] for q in peskov} == {"Dmitry Peskov"}
    assert all(q["citation"]["article"] == SAMPLE and q["direct"] for q in peskov)
    for quote in peskov:
        texts = paragraphs(quote["citation"]["path"])
        cited = quote["citation"]
        assert texts[cited["paragraph"]][cited["start"] : cited["end"]] == quote["text"]
        for span in (quote["cue"], quote["speaker"]["mention"]):
            assert texts[span["paragraph"]][span["start"] : span["end"]] == span["text"]
    assert "Peskov" in peskov[1]["speaker"]["mention"]["text"]
    everything = quotes(index)
    putin = [q for q in everything if q["speaker"]["name"] == "Vladimir Putin"]
    # Paragraph 2 is Putin's own words; the extractor may also credit him with the quoted
    # "reserve" he announced in paragraph 0, never with Peskov's.
    assert 2 in [q["citation"]["paragraph"] for q in putin]
    assert not {1, 3} & {q["citation"]["paragraph"] for q in putin}
    sample = [q for q in everything if q["citation"]["article"] == SAMPLE]
    assert sample and all(q["citation"]["paragraph"] < DONATION_APPEAL for q in sample)


def test_a_speaker_is_found_by_full_name_case_and_accents_aside(index: Path) -> None:
    peskov = quotes(index, "--speaker", "Peskov")
    assert quotes(index, "--speaker", "dmitry peskov") == peskov
    assert quotes(index, "--speaker", "DMITRY  PESKOV") == peskov
    orsted = quotes(index, "--speaker", "Zoë Ørsted")
    # Whether the comma before the closing mark is part of the words is the extractor's call.
    assert [q["text"].rstrip(",") for q in orsted] == ["The cranes are running again tonight"]
    assert orsted[0]["speaker"]["name"] == "Zoë Ørsted"
    for spelling in ("zoe orsted", "ORSTED", "Ørsted"):
        assert quotes(index, "--speaker", spelling) == orsted, spelling
    assert quotes(index, "--speaker", "Doe Jane") == []  # a name, not a bag of words


def test_quotes_come_newest_article_first_and_filters_restrict_them(index: Path) -> None:
    everything = quotes(index)
    order = [q["citation"]["article"] for q in everything]
    # Newest first; the undated sample last; each article's quotes in text order.
    assert order == sorted(order, key=["valley-frost.md", "port-strike.txt", SAMPLE].index)
    port = [q for q in everything if q["citation"]["article"] == "port-strike.txt"]
    assert [q["citation"]["paragraph"] for q in port] == [2, 3]
    jane = quotes(index, "--speaker", "Jane Doe")
    assert [q["citation"]["published"] for q in jane] == ["2022-04-20", "2021-03-04"]
    assert quotes(index, "--speaker", "doe", "--source", "coastal") == jane[1:]
    assert quotes(index, "--speaker", "doe", "--since", "2022") == jane[:1]
    assert quotes(index, "--speaker", "doe", "--until", "2021-03") == jane[1:]
    assert quotes(index, "--speaker", "doe", "--article", "Frost in") == jane[:1]
    assert quotes(index, "--article", "port-strike") == port
    assert quotes(index, "--since", "2030") == []


def test_the_json_contract(index: Path) -> None:
    everything = quotes(index)
    assert len(everything) >= 6
    for quote in everything:
        assert set(quote) == QUOTE_KEYS
        assert isinstance(quote["text"], str) and quote["text"]
        assert isinstance(quote["direct"], bool)
        citation = quote["citation"]
        assert set(citation) == CITATION_KEYS
        assert all(isinstance(citation[k], int) for k in ("paragraph", "start", "end"))
        assert citation["end"] - citation["start"] == len(quote["text"])
        assert Path(citation["path"]).is_absolute() and citation["title"]
        assert set(quote["speaker"]) == {"name", "mention"}
        assert quote["speaker"]["name"] is None or isinstance(quote["speaker"]["name"], str)
        for span in (quote["cue"], quote["speaker"]["mention"]):
            assert span is None or (set(span) == SPAN_KEYS and span["end"] >= span["start"])
    lines = qa("quotes", "--jsonl", "--index", str(index))
    assert lines.returncode == 0, lines.stderr
    assert [json.loads(line) for line in lines.stdout.splitlines()] == everything


def test_speakers_are_counted_with_their_articles_and_dates(index: Path) -> None:
    result = qa("speakers", "--json", "--index", str(index))
    assert result.returncode == 0, result.stderr
    speakers = {s["name"]: s for s in json.loads(result.stdout)}
    assert speakers["Jane Doe"] == {
        "name": "Jane Doe",
        "quotes": 2,
        "articles": 2,
        "first": "2021-03-04",
        "last": "2022-04-20",
    }
    assert speakers["Dmitry Peskov"] == {
        "name": "Dmitry Peskov",
        "quotes": 2,
        "articles": 1,
        "first": None,
        "last": None,
    }
    assert speakers["Zoë Ørsted"]["quotes"] == 1
    putin = qa("quotes", "--speaker", "Vladimir Putin", "--json", "--index", str(index))
    assert speakers["Vladimir Putin"]["quotes"] == len(json.loads(putin.stdout)) >= 1
    counts = [s["quotes"] for s in json.loads(result.stdout)]
    assert counts == sorted(counts, reverse=True)
    text = qa("speakers", "--index", str(index))
    assert text.returncode == 0, text.stderr
    assert "Jane Doe: 2 quotes in 2 articles (2021-03-04 to 2022-04-20)" in text.stdout


def test_text_output_is_one_readable_block_per_quote(index: Path) -> None:
    result = qa("quotes", "--speaker", "Peskov", "--index", str(index))
    assert result.returncode == 0, result.stderr
    blocks = result.stdout.strip().split("\n\n")
    assert len(blocks) == 2
    assert all(b.startswith("Dmitry Peskov") for b in blocks)
    assert "paragraph 1" in blocks[0] and SAMPLE in blocks[0]
    assert "paragraph 3" in blocks[1]
    none = qa("quotes", "--speaker", "Nobody Atall", "--index", str(index))
    assert none.returncode == 0 and none.stdout == "No quotes found by 'Nobody Atall'.\n"


def test_quoted_text_cannot_drive_the_terminal(tmp_path: Path) -> None:
    library = tmp_path / "articles"
    library.mkdir()
    (library / "hostile.txt").write_text(
        "Title: Hostile \u202etitle\n\n“Stay calm \x1b]0;OWNED\x07 and carry on,” said Jane Doe.",
        encoding="utf-8",
    )
    build(tmp_path / "index", library)
    result = qa("quotes", "--index", str(tmp_path / "index"))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\x1b]0;OWNED\\x07" in result.stdout and "Hostile \\u202etitle" in result.stdout
    raw = quotes(tmp_path / "index")
    assert "\x1b]0;OWNED\x07" in raw[0]["text"]  # JSON keeps the exact text


def test_an_incremental_build_replaces_an_edited_articles_quotes_and_drops_a_removed_ones(
    tmp_path: Path,
) -> None:
    library = write_articles(tmp_path / "articles")
    index_dir = tmp_path / "index"
    build(index_dir, library)
    before = quotes(index_dir)
    (library / "valley-frost.md").unlink()
    port = library / "port-strike.txt"
    port.write_text(
        port.read_text("utf-8").replace("We will stay until", "We are leaving before"), "utf-8"
    )
    seen: list[str] = []

    class Watched(QuoteStep):
        def process(self, file: PreparedFile) -> None:
            seen.append(Path(file.path).name)
            super().process(file)

    steps = [Watched if step is QuoteStep else step for step in FILE_STEPS]
    report = build(index_dir, file_steps=steps)
    assert (report.updated, report.removed, report.unchanged) == (1, 1, 1)
    assert seen == ["port-strike.txt"]  # the unchanged sample was not parsed again
    after = quotes(index_dir)
    assert not [q for q in after if q["citation"]["article"] == "valley-frost.md"]
    jane = quotes(index_dir, "--speaker", "Jane Doe")
    assert len(jane) == 1 and jane[0]["text"].startswith("We are leaving before")
    kept = [q for q in before if q["citation"]["article"] == SAMPLE]
    assert [q for q in after if q["citation"]["article"] == SAMPLE] == kept
    assert qa("index", "verify", "--index", str(index_dir)).returncode == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--article", "no-such-article"), "--article 'no-such-article': no article"),
        (("--source", "Nowhere Gazette"), "--source 'Nowhere Gazette': no article"),
        (("--since", "2021-13"), "--since '2021-13' is not a date"),
        (("--since", "2022", "--until", "2021"), "--since 2022 is after --until 2021"),
        (("--speaker", "..."), "--speaker '...' holds no letter"),
        (("--speaker", ""), "--speaker: must not be empty"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(index: Path, args: tuple[str, ...], words: str) -> None:
    result = qa("quotes", *args, "--index", str(index))
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


def test_an_index_without_quotes_says_to_build_and_has_them_after_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built by a qa that predates quotes: no table, version 1, files indexed with no quotes.
    Asking still answers; `qa quotes` names the fix; the build extracts every file's quotes,
    re-embedding nothing."""
    index_dir = tmp_path / "index"
    with monkeypatch.context() as old_qa:
        old_qa.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
        build(
            index_dir,
            write_articles(tmp_path / "articles"),
            file_steps=[step for step in FILE_STEPS if step is not QuoteStep],
        )
    refused = qa("quotes", "--index", str(index_dir))
    assert refused.returncode == 3
    assert refused.stderr.count("\n") == 1 and "run `qa index build" in refused.stderr
    assert qa("speakers", "--index", str(index_dir)).returncode == 3
    assert qa("ask", "What did Peskov say?", "--index", str(index_dir)).returncode == 0

    built = qa("index", "build", "--index", str(index_dir))
    assert built.returncode == 0, built.stderr
    assert "0 texts embedded" in built.stderr
    peskov = quotes(index_dir, "--speaker", "Peskov")
    assert [q["citation"]["paragraph"] for q in peskov] == [1, 3]
    assert len(quotes(index_dir, "--speaker", "Jane Doe")) == 2
    assert qa("index", "verify", "--index", str(index_dir)).returncode == 0
    status = qa("index", "status", "--index", str(index_dir))
    assert status.returncode == 0 and "articles:   3" in status.stdout
