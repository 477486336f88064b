"""Bounded inputs (issue 11, items 7 and 8): a file's shape must not decide the cost.

Item 7: an 18 MB one-line file once peaked at 5.5 GB. These builds run the real `qa`
command on files of the bad shapes (a few MB, shapes the model embeds quickly) and
compare the build's peak RSS with the same command's peak on a tiny file; the splitter
is checked on the slow-to-embed shapes (prose on one line, no sentence ends) by counting
what it hands the tokenizer and what it returns, not by timing it.

Item 8: a jsonl line 100,000 `[` deep and a folder tree 1,200 deep ended the whole
build with RecursionError; each is now one skipped line or one skip reason, and the rest
of the library is indexed.

Timeouts below only keep a hang from stalling the suite; nothing asserts a duration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from library_fixtures import embedder, make_library

from index.sources import paragraphs
from index.sources.chunking import chunk_article
from index.sources.discovery import MAX_DEPTH
from index.sources.paragraphs import (
    MAX_FIELD_CHARS,
    allowed_paragraphs,
    build_article,
    detect_boilerplate,
)
from index.sources.textsplit import (
    COUNT_BATCH_CHARS,
    MAX_CHUNK_CHARS,
    passage_spans,
    split_sentences,
)

QA = [sys.executable, "-m", "qa"]
MB = 1_000_000
MARKER = "zebramarker"
RSS_PER_MB = 30
"""Peak RSS a build may add per MB of input over a tiny file's build. The fixed code adds
about 12; before, a line without spaces added about 70 and long words about 110."""
HANG_GUARD = 600
"""Seconds before a command counts as hung (the fixed builds take a few)."""


class Run:
    def __init__(self, returncode: int, stderr: str, peak_mb: float) -> None:
        self.returncode = returncode
        self.stderr = stderr
        self.peak_mb = peak_mb


def qa_measured(*args: str, tmp: Path) -> Run:
    """Run `qa` and return its exit code, stderr and its own peak RSS (wait4's rusage)."""
    err_path = tmp / f"stderr-{time.monotonic_ns()}.txt"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen([*QA, *args], stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + HANG_GUARD
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                pytest.fail(f"qa {' '.join(args[:3])} hung for {HANG_GUARD} s")
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in kilobytes on Linux.
    return Run(proc.returncode, err_path.read_text(errors="replace"), usage.ru_maxrss / 1024)


def qa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*QA, *args], capture_output=True, text=True, timeout=HANG_GUARD)


def hits(index: Path, question: str, k: int = 5) -> list[dict]:
    result = qa("ask", question, "--index", str(index), "--json", "-k", str(k))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["hits"]


@pytest.fixture(scope="module")
def tiny_peak(tmp_path_factory: pytest.TempPathFactory) -> float:
    """Peak RSS of building a one-line library, after a first build paid any model export."""
    base = tmp_path_factory.mktemp("tiny")
    (base / "tiny.txt").write_text("A tiny article about the harbour bridge.\n")
    first = qa_measured(
        "index", "build", str(base / "tiny.txt"), "--index", str(base / "warm"), tmp=base
    )
    assert first.returncode == 0, first.stderr
    run = qa_measured(
        "index", "build", str(base / "tiny.txt"), "--index", str(base / "i"), tmp=base
    )
    assert run.returncode == 0, run.stderr
    return run.peak_mb


def no_spaces(size: int) -> str:
    return "x" * size + f" {MARKER}\n"


def long_words_no_sentence_end(size: int) -> str:
    # Words past the tokenizer's 100 characters count one token each: the text is cheap to
    # embed, but it has no sentence end, so the old splitter counted every word at once.
    return ("x" * 120 + " ") * (size // 121) + f"{MARKER}\n"


def giant_jsonl_record(size: int) -> str:
    return json.dumps({"title": "Giant", "text": "y" * size + f" {MARKER}"}) + "\n"


def giant_word_in_markdown(size: int) -> str:
    return f"Title: Giant word\n\n# Giant word\n\nIt starts here. {'z' * size} {MARKER}.\n"


SHAPES: dict[str, Callable[[int], str]] = {
    "no-spaces.txt": no_spaces,
    "long-words-no-sentence-end.txt": long_words_no_sentence_end,
    "giant-record.jsonl": giant_jsonl_record,
    "giant-word.md": giant_word_in_markdown,
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_giant_line_costs_memory_in_proportion_to_its_size_and_stays_findable(
    name: str, tmp_path: Path, tiny_peak: float
) -> None:
    size = 3 * MB
    path = tmp_path / name
    path.write_text(SHAPES[name](size), encoding="utf-8")
    index = tmp_path / "index"
    run = qa_measured("index", "build", str(path), "--index", str(index), tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    added = run.peak_mb - tiny_peak
    assert added <= RSS_PER_MB * path.stat().st_size / MB, (name, run.peak_mb, tiny_peak)
    found = hits(index, MARKER)
    assert any(MARKER in hit["text"] for hit in found)
    # Shown passages stay readable: none is the whole giant line.
    assert all(len(hit["text"]) <= MAX_CHUNK_CHARS for hit in found)


def test_many_tiny_lines_are_one_skip_line_and_the_rest_is_indexed(
    tmp_path: Path, tiny_peak: float
) -> None:
    folder = make_library(tmp_path / "articles", sample=False)
    lines = folder / "lines.txt"
    # 300,000 paragraphs in 2 MB: each would cost a vector and rows (and the boilerplate
    # pass once compared every paragraph with all that follow it).
    lines.write_text("\n".join(f"w{i}" for i in range(300_000)) + "\n", encoding="utf-8")
    index = tmp_path / "index"
    run = qa_measured("index", "build", str(folder), "--index", str(index), tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    skipped = [line for line in run.stderr.splitlines() if line.startswith("qa: skipped ")]
    assert len(skipped) == 1 and skipped[0].startswith(f"qa: skipped {lines}: "), skipped
    assert "too many short lines" in skipped[0] and "w299999" not in skipped[0]
    assert run.peak_mb - tiny_peak <= RSS_PER_MB * lines.stat().st_size / MB
    assert hits(index, "What did mayor Duarte say?")[0]["citation"]["article"] == (
        "harbour-bridge.txt"
    )


def hostile_folder(base: Path) -> Path:
    """Files whose patterns once made the readers' regular expressions quadratic."""
    folder = make_library(base / "articles", sample=False)
    (folder / "heading.md").write_text(
        "# Heading" + " " * 300_000 + "end\n\nThe heading article mentions a walrus.\n"
    )
    (folder / "weekday.txt").write_text(
        "Published: " + "mon" * 100_000 + "\n\nThe weekday article mentions a narwhal.\n"
    )
    (folder / "comment.html").write_text(
        "<html><body><p>" + "<!--" * 50_000 + " The comment page mentions an axolotl.</p>"
    )
    (folder / "script.html").write_text(
        "<html><body><p>" + "<script>" * 50_000 + " The script page mentions a pangolin.</p>"
    )
    (folder / "long-title.txt").write_text(
        "Title: " + "Long " * 200_000 + "\n\nThe long title article mentions a quokka.\n"
    )
    return folder


def test_hostile_markup_and_metadata_are_read_in_linear_time(tmp_path: Path) -> None:
    folder = hostile_folder(tmp_path)
    index = tmp_path / "index"
    result = qa("index", "build", str(folder), "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert "qa: skipped" not in result.stderr
    for animal, article in [
        ("walrus", "heading.md"),
        ("narwhal", "weekday.txt"),
        ("axolotl", "comment.html"),
        ("pangolin", "script.html"),
        ("quokka", "long-title.txt"),
    ]:
        top = hits(index, f"Which article mentions the {animal}?", k=1)[0]
        assert top["citation"]["article"] == article, (animal, top["citation"])
        assert animal in top["text"]
        assert len(top["citation"]["title"]) <= MAX_FIELD_CHARS
    # Notes are one short line each, whatever the file held.
    notes = [line for line in result.stderr.splitlines() if line.startswith("qa: note: ")]
    assert notes and all(len(line) < 400 for line in notes), notes


# --- item 8: recursion -------------------------------------------------------------


def remove_tree(top: Path) -> None:
    """Remove `top` bottom-up without recursion: shutil.rmtree, and so pytest's own clean-up
    of old temporary folders, dies with RecursionError in a tree 1,200 deep."""
    stack = [top]
    while stack:
        with os.scandir(stack[-1]) as listing:
            entries = list(listing)
        folders = [Path(e.path) for e in entries if e.is_dir(follow_symlinks=False)]
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
        if folders:
            stack.extend(folders)
        else:
            stack.pop().rmdir()


@pytest.fixture(scope="module")
def nested(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, Path, subprocess.CompletedProcess]]:
    """(folder, index, build result) over a library with every kind of deep nesting."""
    base = tmp_path_factory.mktemp("nested")
    folder = make_library(base / "articles", sample=False)
    try:
        yield _nested_library(base, folder)
    finally:
        if (folder / "tree").exists():
            remove_tree(folder / "tree")


def _nested_library(base: Path, folder: Path) -> tuple[Path, Path, subprocess.CompletedProcess]:
    (folder / "feed.jsonl").write_text(
        "[" * 100_000
        + "\n"
        + json.dumps({"title": "Kept", "text": "The feed article mentions a capybara."})
        + "\n"
        + '{"title": "Deep text", "text": '
        + "[" * 100_000
        + "\n"
    )
    # One level at a time: pathlib's and os.makedirs's own recursion would not get there.
    deep = folder / "tree"
    deep.mkdir()
    for level in range(1200):
        deep = deep / "d"
        deep.mkdir()
        if level == 5:
            (deep / "shallow.txt").write_text("The shallow article mentions an ocelot.")
    (deep / "bottom.txt").write_text("The bottom article is too deep to be read.")
    chain = folder / "chain"
    chain.mkdir()
    (chain / "target.txt").write_text("The chain target mentions a tapir.")
    previous = "target.txt"
    for number in range(1100):
        os.symlink(previous, chain / f"link{number}.txt")
        previous = f"link{number}.txt"
    (folder / "nested.html").write_text(
        "<html><body><article><p>The page opens with a paragraph about a heron.</p>"
        + "<b>" * 300
        + "".join(
            f"<p>Later paragraph {i} of the page about the kingfisher.</p>" for i in range(20)
        )
        + "</article></body></html>"
    )
    (folder / "divs.html").write_text(
        "<html><body>" + "<div>" * 100_000 + "The div page mentions a lemur." + "</div>" * 100_000
    )
    index = base / "index"
    return folder, index, qa("index", "build", str(folder), "--index", str(index))


def test_deep_nesting_never_ends_the_build(nested: tuple) -> None:
    _, _, result = nested
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr


def test_a_too_deeply_nested_jsonl_line_is_counted_like_other_bad_lines(nested: tuple) -> None:
    folder, index, result = nested
    note = f"qa: note: {folder / 'feed.jsonl'}: 2 lines skipped: nested too deeply"
    assert note in result.stderr.splitlines(), result.stderr
    assert (
        hits(index, "Which article mentions the capybara?", k=1)[0]["citation"]["title"] == "Kept"
    )


def test_a_folder_too_deep_is_one_skip_line_with_its_path(nested: tuple) -> None:
    folder, index, result = nested
    skipped = [line for line in result.stderr.splitlines() if line.startswith("qa: skipped ")]
    deep = [line for line in skipped if "levels deep" in line]
    assert len(deep) == 1, skipped
    # The tree folder is one level down; its d folders are the rest.
    too_deep = folder / "tree" / Path(*["d"] * MAX_DEPTH)
    assert (
        deep[0]
        == f"qa: skipped {too_deep}: folder nested more than {MAX_DEPTH} levels deep: not read"
    )
    top = hits(index, "Which article mentions the ocelot?", k=1)[0]
    assert top["citation"]["article"] == "tree/d/d/d/d/d/d/shallow.txt"


def test_a_symlink_chain_too_long_to_follow_is_skipped(nested: tuple) -> None:
    folder, _, result = nested
    assert f"qa: skipped {folder / 'chain' / 'link1099.txt'}: symlink chain too long to follow" in (
        result.stderr.splitlines()
    )
    # Shorter chains are followed (then the kernel refuses past 40 links, one line each).
    assert "Traceback" not in result.stderr


def test_html_nested_past_the_parser_limit_keeps_all_its_text(nested: tuple) -> None:
    folder, index, result = nested
    # libxml2 stops at depth 256 without an error: trafilatura lost everything after it.
    kingfisher = hits(index, "Which page mentions the kingfisher?", k=1)[0]
    assert kingfisher["citation"]["article"] == "nested.html"
    assert "kingfisher" in kingfisher["text"]
    lemur = hits(index, "Which page mentions the lemur?", k=1)[0]
    assert lemur["citation"]["article"] == "divs.html" and "lemur" in lemur["text"]
    for name in ("nested.html", "divs.html"):
        assert (
            f"qa: note: {folder / name}: page nested too deeply for main-text extraction; "
            "all page text kept"
        ) in result.stderr.splitlines()


def test_a_too_deeply_nested_question_line_is_a_usage_error(tmp_path: Path) -> None:
    # The same jsonl line at another entry point: `qa eval`'s question set.
    questions = tmp_path / "questions.jsonl"
    questions.write_text("[" * 100_000 + "\n")
    articles = make_library(tmp_path / "articles", sample=False)
    result = qa("eval", str(questions), "--articles", str(articles))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"qa: {questions}:1: not a question line")


# --- the splitter and the boilerplate pass, counted --------------------------------


def prose(size: int, end: str = ". ") -> str:
    words = "the mayor said bridge harbour steel cable repairs residents ferry".split()
    parts: list[str] = []
    total = 0
    number = 0
    while total < size:
        sentence = " ".join(words[(number + i) % len(words)] for i in range(12)).capitalize()
        parts.append(sentence + end)
        total += len(sentence) + len(end)
        number += 1
    return "".join(parts)[:size].strip()


SPLITTER_SHAPES: dict[str, Callable[[int], str]] = {
    "prose on one line": prose,
    "prose without sentence ends": lambda size: prose(size, end=" "),
    "no spaces": lambda size: "x" * size,
    "punctuation without spaces": lambda size: "a." * (size // 2),
    "tiny sentences": lambda size: "".join(f"A{i}. " for i in range(size // 8))[:size].strip(),
    "a run of spaces": lambda size: "start " + " " * size + " end",
    "zero-width characters": lambda size: "a" + "\u200b" * size + " b",
}


@pytest.fixture
def counting_tokenizer() -> Iterator[tuple[Callable[[list[str]], list[int]], list[int]]]:
    """The model's real token counter, recording how many characters each call was given."""
    real = embedder().count_tokens
    calls: list[int] = []

    def count(texts: list[str]) -> list[int]:
        calls.append(sum(len(text) for text in texts))
        return real(texts)

    yield count, calls


@pytest.mark.parametrize("shape", list(SPLITTER_SHAPES))
def test_the_splitter_does_linear_work_on_pathological_paragraphs(
    shape: str, counting_tokenizer: tuple
) -> None:
    count, calls = counting_tokenizer
    text = SPLITTER_SHAPES[shape](MB // 2)
    max_tokens = embedder().max_tokens
    passages = passage_spans(text, count, max_tokens)
    sentences = split_sentences(text)
    # Memory: the tokenizer never sees more than a batch at once (it once saw the whole).
    assert max(calls) <= COUNT_BATCH_CHARS + MAX_CHUNK_CHARS, (shape, max(calls))
    # Time: a bounded number of characters tokenized per input character.
    assert sum(calls) <= 6 * len(text), (shape, sum(calls) / len(text))
    # What gets embedded: every chunk short, all of them together at most three texts' worth.
    chunks = passages + sentences
    assert all(0 < s.end - s.start <= MAX_CHUNK_CHARS for s in chunks), shape
    assert sum(s.end - s.start for s in chunks) <= 3 * len(text), shape
    texts = [text[s.start : s.end] for s in passages]
    assert all(n <= max_tokens for n in embedder().count_tokens(texts)), shape
    # No text dropped: every non-space character is in a passage and in a sentence.
    for spans in (passages, sentences):
        covered = bytearray(len(text))
        for span in spans:
            covered[span.start : span.end] = b"\x01" * (span.end - span.start)
        missing = [i for i, flag in enumerate(covered) if not flag and not text[i].isspace()]
        assert not missing, (shape, missing[:5])


class CountingPattern:
    """A compiled pattern that counts its searches: how much work the pass did."""

    def __init__(self, pattern: object) -> None:
        self.pattern = pattern
        self.searches = 0

    def search(self, *args: object) -> object:
        self.searches += 1
        return self.pattern.search(*args)  # type: ignore[attr-defined]


def test_the_boilerplate_pass_looks_at_each_paragraph_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A page of "A message from ..." lines with no appeal after them: every one of them
    # once looked through all the paragraphs after it.
    count = 5_000
    counting = CountingPattern(paragraphs._APPEAL_HINT)
    monkeypatch.setattr(paragraphs, "_APPEAL_HINT", counting)
    flagged = detect_boilerplate([(i, f"A message from reporter {i}:") for i in range(count)])
    assert flagged == set()
    assert counting.searches <= count


def test_an_article_of_tiny_sentences_gets_a_bounded_number_of_sentence_chunks() -> None:
    # 100,000 sentences in half a megabyte: one vector each would be five times the
    # sentences of as much prose. Grouped, they stay within the size's budget.
    text = " ".join(f"A{i}." for i in range(100_000))
    article = build_article(text, key="k", path="/k", fallback_title="K")
    chunks = chunk_article(article, embedder().count_tokens, embedder().max_tokens)
    sentences = [chunk for chunk in chunks if chunk.kind == "sentence"]
    assert len(sentences) <= allowed_paragraphs(len(text))
    assert " ".join(chunk.text for chunk in sentences) == text
    # An ordinary article keeps one sentence chunk per sentence.
    normal = build_article("Yes. No. It rained on Monday.", key="n", path="/n", fallback_title="N")
    chunks = chunk_article(normal, embedder().count_tokens, embedder().max_tokens)
    assert [c.text for c in chunks if c.kind == "sentence"] == [
        "Yes.",
        "No.",
        "It rained on Monday.",
    ]
