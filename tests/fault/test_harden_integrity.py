"""Issue 11, data integrity (items 1, 2, 3, 4, 11), through the real `qa` command.

Each test damages a real index on disk the way an accident or an attacker would, then
checks every entry point that reads it (`qa ask`, `qa index status`, `qa index verify`)
and the one that writes it (`qa index build`): damage is exit 3 with one line naming
the file, user files are never touched, nothing hangs, a read-only index still answers.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from integrity_support import (
    copy_index,
    edit_database,
    flip_cached_bits,
    meta_value,
    negate_cached_vector,
    one_line,
    qa,
    read_only_copy,
    tree_state,
)
from library_fixtures import build, embedder, make_library

from index.errors import QAError, UsageError
from index.sources.chunking import text_sha
from index.store.schema import DIGEST_KEY, content_digest
from index.store.vectors import build_vector_index, remove_stale_files
from qa.library import Library

HARBOUR = (
    "The harbour bridge reopened to traffic on Thursday after eight months of repairs "
    "to its steel cables."
)
LIBRARIES = (
    "The city council approved a new budget for the public libraries, which will open "
    "on Sundays from next spring."
)
READERS = ("ask", "status", "verify")


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed index of the three test articles; tests damage copies of it."""
    root = tmp_path_factory.mktemp("sound")
    build(root / "index", make_library(root / "articles"))
    return root / "index"


@pytest.fixture
def index(sound: Path, tmp_path: Path) -> Path:
    return copy_index(sound, tmp_path / "index")


def read(command: str, index: Path) -> tuple[int, str]:
    """Run one reading entry point; (exit code, its one line of complaint)."""
    args = {
        "ask": ("ask", "When did the harbour bridge reopen?"),
        "status": ("index", "status"),
        "verify": ("index", "verify"),
    }[command]
    result = qa(*args, "--index", str(index))
    if result.returncode == 0:
        return 0, ""
    # verify lists problems on stdout (warnings, if any, on stderr); the others on stderr.
    return result.returncode, one_line(result.stdout if command == "verify" else result.stderr)


def assert_damaged(index: Path, names: str) -> None:
    """Every reading entry point refuses the index: exit 3, one line naming the file."""
    for command in READERS:
        code, line = read(command, index)
        assert code == 3, (command, line)
        assert names in line, (command, line)


def top_hit(index: Path, question: str) -> dict:
    result = qa("ask", question, "--index", str(index), "--retriever", "dense", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["hits"][0]


# -- 1: a damaged vector in the embeddings cache never reaches a vector file -------------


def test_a_damaged_cached_vector_is_reported_and_embedded_again(
    index: Path, tmp_path: Path
) -> None:
    # A build killed before its commit leaves its new vectors in the cache, unused by
    # any committed chunk: the old verify (200 sampled chunks) never looked at them.
    extra = libraries_folder(tmp_path)
    killed = qa(
        "index", "build", str(extra), "--index", str(index),
        env={"QA_CRASH_AT": "before-vector-write"},
    )  # fmt: skip
    assert killed.returncode == -9
    flipped = flip_cached_bits(index, "text_sha NOT IN (SELECT text_sha FROM chunks)", 0x40)
    assert flipped >= 1

    code, line = read("verify", index)
    assert code == 3 and "library.sqlite" in line and "embeddings" in line

    built = qa("index", "build", str(extra), "--index", str(index))
    assert built.returncode == 0, built.stderr
    assert "embedded their text again" in built.stderr
    hit = top_hit(index, LIBRARIES)
    assert hit["citation"]["article"] == "libraries.txt"
    assert 0.9 < hit["score"] < 3  # the old build copied the flip in: ~1e37
    assert read("verify", index) == (0, "")


def libraries_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "libraries.txt").write_text(f"Title: Libraries\n\n{LIBRARIES}\n", "utf-8")
    return folder


def test_a_negated_cached_vector_of_an_unchanged_article_is_not_copied(
    index: Path, tmp_path: Path
) -> None:
    # A sign flip keeps the norm at 1: only the previous, checksummed vector file knows.
    negate_cached_vector(index, text_sha(HARBOUR))
    built = qa("index", "build", str(libraries_folder(tmp_path)), "--index", str(index))
    assert built.returncode == 0, built.stderr
    assert "embedded their text again" in built.stderr
    hit = top_hit(index, HARBOUR)
    assert hit["citation"]["article"] == "harbour-bridge.txt"
    assert hit["score"] > 0.9  # the old build copied it: this passage scored -1
    assert read("verify", index) == (0, "")


def test_the_vector_file_refuses_vectors_that_are_not_finite_unit_vectors() -> None:
    ids = np.arange(1, 4, dtype=np.int64)
    good = np.eye(3, 8, dtype=np.float32)
    for bad in (np.nan, np.inf, 2.0**100, 0.0):
        vectors = good.copy()
        vectors[1, 1] = bad
        with pytest.raises(QAError, match="not finite unit vectors"):
            build_vector_index(ids, vectors, 8)
    assert build_vector_index(ids, good, 8).ntotal == 3


def test_verify_compares_every_cached_vector_not_a_sample(index: Path, tmp_path: Path) -> None:
    # More chunks than the old sample of 200: damage the one chunk it skipped first.
    articles = make_library(tmp_path / "more", sample=False, extra=False)
    for n in range(30):
        sentences = " ".join(f"Item {n}-{k} of the ledger was filed on day {k}." for k in range(8))
        (articles / f"ledger-{n:02d}.txt").write_text(sentences, "utf-8")
    build(index, articles)
    conn = sqlite3.connect(index / "library.sqlite")
    chunks = [row[0] for row in conn.execute("SELECT text_sha FROM chunks ORDER BY id")]
    conn.close()
    sampled = set(np.unique(np.linspace(0, len(chunks) - 1, 200).astype(int)).tolist())
    assert len(chunks) > 200
    # A text no sampled chunk shares (one-sentence paragraphs share their passage's).
    victim = next(c for c in chunks if not any(chunks[i] == c for i in sampled))
    negate_cached_vector(index, victim)
    code, line = read("verify", index)
    assert code == 3 and "embeddings" in line and "differ" in line


# -- 2: missing or malformed metadata is damage everywhere --------------------------------


def meta_sources(index: Path) -> list[str]:
    conn = sqlite3.connect(index / "library.sqlite")
    try:
        return [row[0] for row in conn.execute("SELECT root FROM sources")]
    finally:
        conn.close()


def damage_a_paragraph(index: Path) -> tuple[str, tuple]:
    return (
        "UPDATE paragraphs SET text = replace(text, 'harbour bridge', 'harbour bridgE')",
        (),
    )


@pytest.mark.parametrize("digest_gone", ["deleted", "renamed"])
def test_a_missing_digest_does_not_switch_the_check_off(index: Path, digest_gone: str) -> None:
    gone = (
        ("DELETE FROM meta WHERE key = ?", (DIGEST_KEY,))
        if digest_gone == "deleted"
        else ("UPDATE meta SET key = 'content_sha257' WHERE key = ?", (DIGEST_KEY,))
    )
    edit_database(index, gone, damage_a_paragraph(index))
    assert_damaged(index, "library.sqlite")
    # A build must not record a fresh digest over the damaged rows (launder them).
    built = qa("index", "build", "--index", str(index))
    assert built.returncode == 3 and "library.sqlite" in one_line(built.stderr)
    assert_damaged(index, "library.sqlite")
    assert qa("index", "build", "--full", "--index", str(index)).returncode == 0
    assert read("ask", index) == (0, "")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("generation", "abc"),
        ("generation", "\uff11"),  # a fullwidth 1: int() takes it, the file name does not
        ("generation", "0"),
        ("vector_file", "vectors-7.faiss"),
        ("vector_file", "../elsewhere/vectors-1.faiss"),
        ("vector_sha256", None),
        ("dim", "384.0"),
        ("vector_count", "0x35"),
        ("model_id", None),
        ("articles", "many"),
    ],
)
def test_malformed_metadata_is_damage_in_every_command(
    index: Path, key: str, value: str | None
) -> None:
    # Point the tampered names at real copies, so only the name itself is wrong.
    original = (index / meta_value(index, "vector_file")).read_bytes()
    (index.parent / "elsewhere").mkdir()
    for name in ("vectors-7.faiss", "../elsewhere/vectors-1.faiss"):
        (index / name).write_bytes(original)
    change = (
        ("DELETE FROM meta WHERE key = ?", (key,))
        if value is None
        else ("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    )
    edit_database(index, change, redigest=True)
    assert_damaged(index, "library.sqlite")
    # The fix every message names works, and writes no file but its own.
    assert qa("index", "build", "--full", "--index", str(index)).returncode == 0
    assert read("ask", index) == (0, "")
    assert (index.parent / "elsewhere" / "vectors-1.faiss").read_bytes() == original


# -- 3: a build never deletes or mixes with user files ------------------------------------


def user_folder(folder: Path) -> Path:
    make_library(folder, sample=False)
    (folder / "vectors-2023.csv").write_text("year,value\n2023,1\n", "utf-8")
    (folder / "vectors-of-disease.txt").write_text("Mosquitoes carry malaria.\n", "utf-8")
    return folder


@pytest.mark.parametrize("where", ["same", "inside", "contains", "holds-files"])
def test_an_index_folder_shared_with_other_files_is_refused_before_writing(
    tmp_path: Path, where: str
) -> None:
    articles = user_folder(tmp_path / "news")
    target = {
        "same": articles,
        "inside": articles / "index",
        "contains": tmp_path,
        "holds-files": tmp_path / "notes",
    }[where]
    if where == "holds-files":
        target.mkdir()
        (target / "todo.txt").write_text("buy milk\n", "utf-8")
    before = tree_state(tmp_path)
    result = qa("index", "build", str(articles), "--index", str(target))
    assert result.returncode == 2, result.stderr
    assert str(target) in one_line(result.stderr)
    assert tree_state(tmp_path) == before  # no file deleted, changed or created
    assert not (target / "write.lock").exists() and not (target / "library.sqlite").exists()
    assert (target.exists()) == (where != "inside")


def test_known_folders_count_too_and_leftovers_are_only_the_index_files(
    tmp_path: Path,
) -> None:
    articles = make_library(tmp_path / "articles")
    index = tmp_path / "index"
    build(index, articles)
    (index / "vectors-2023.csv").write_text("year,value\n", "utf-8")
    verified = qa("index", "verify", "--index", str(index))
    assert verified.returncode == 0 and "vectors-2023.csv" not in verified.stderr
    built = qa("index", "build", "--index", str(index))
    assert built.returncode == 2 and "vectors-2023.csv" in one_line(built.stderr)
    assert (index / "vectors-2023.csv").read_text("utf-8") == "year,value\n"
    (index / "vectors-2023.csv").unlink()

    # The index's own articles folder (from `sources`), now around the index.
    moved = index.rename(articles / "index")
    result = qa("index", "build", "--index", str(moved))
    assert result.returncode == 2 and str(articles) in one_line(result.stderr)
    assert not (articles / "index" / "vectors-2.faiss").exists()


def test_clean_up_removes_only_the_names_a_build_writes(tmp_path: Path) -> None:
    names = [
        "vectors-1.faiss",
        "vectors-2.faiss",
        "vectors-3.faiss.tmp",
        "vectors-2023.csv",
        "vectors-of-disease.txt",
        "vectors-4.faiss.bak",
        "vectors-05.faiss",
    ]
    for name in names:
        (tmp_path / name).write_text("x", "utf-8")
    (tmp_path / "vectors-6.faiss").mkdir()
    removed = remove_stale_files(tmp_path, keep={"vectors-1.faiss"})
    assert sorted(removed) == ["vectors-2.faiss", "vectors-3.faiss.tmp"]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted({*names, "vectors-6.faiss"} - {*removed})


def test_nothing_to_index_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "index"
    result = qa("index", "build", "--index", str(missing))
    assert result.returncode == 2
    assert "nothing to index" in one_line(result.stderr)
    assert not (tmp_path / "nowhere").exists()
    library = Library(missing, embedder())
    with pytest.raises(UsageError, match="nothing to index"):
        list(library.build())
    assert not (tmp_path / "nowhere").exists()


# -- 4: named pipes and devices never block a read ----------------------------------------


def pipe(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def link_to_zero(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")


@pytest.mark.parametrize("make", [pipe, link_to_zero], ids=["fifo", "dev-zero"])
@pytest.mark.parametrize(
    "name", ["vectors-1.faiss", "library.sqlite", "library.sqlite-wal", "library.sqlite-shm"]
)
def test_a_file_that_is_not_regular_is_refused_without_blocking(
    index: Path, tmp_path: Path, make: object, name: str
) -> None:
    make(index / name)  # type: ignore[operator]
    assert_damaged(index, name)
    built = qa("index", "build", "--index", str(index))
    if name.startswith("library"):
        assert built.returncode == 3 and name in one_line(built.stderr)
        return
    # The build reads its vectors from the database, never the pipe: it repairs the index.
    assert built.returncode == 0, built.stderr
    assert read("ask", index) == (0, "")


@pytest.mark.parametrize("make", [pipe, "symlink"])
def test_the_lock_file_is_never_followed_or_blocked_on(
    index: Path, tmp_path: Path, make: object
) -> None:
    lock = index / "write.lock"
    precious = tmp_path / "precious.txt"
    precious.write_text("do not truncate me\n", "utf-8")
    if make == "symlink":
        lock.unlink()
        lock.symlink_to(precious)
    else:
        pipe(lock)  # type: ignore[operator]
    built = qa("index", "build", "--index", str(index))
    assert built.returncode == 3 and "write.lock" in one_line(built.stderr)
    assert precious.read_text("utf-8") == "do not truncate me\n"
    assert read("ask", index) == (0, "")


# -- 11: a read-only index answers; a build says it cannot write --------------------------


def test_a_read_only_index_answers_and_a_build_says_it_cannot_write(
    sound: Path, tmp_path: Path
) -> None:
    with read_only_copy(sound, tmp_path / "ro") as index:
        before = tree_state(index)
        for command in READERS:
            assert read(command, index) == (0, ""), command
        assert "harbour" in qa("ask", "Which bridge reopened?", "--index", str(index)).stdout
        articles = make_library(tmp_path / "articles")
        for target in (index, index / "new"):
            built = qa("index", "build", str(articles), "--index", str(target))
            assert built.returncode == 1
            line = one_line(built.stderr)
            assert "cannot write to the index folder" in line and str(target) in line
            assert "damaged" not in line and "--full" not in line
        assert tree_state(index) == before


def test_a_read_only_index_with_frames_left_in_its_wal_still_answers(
    sound: Path, tmp_path: Path
) -> None:
    source = copy_index(sound, tmp_path / "source")
    # A commit still only in the WAL (its writer has not checkpointed yet): a reader
    # that ignored the WAL would show the older `built_at`.
    writer = sqlite3.connect(source / "library.sqlite", isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE meta SET value = '2030-01-02T03:04:05+00:00' WHERE key = 'built_at'")
    writer.execute("UPDATE meta SET value = ? WHERE key = ?", (content_digest(writer), DIGEST_KEY))
    assert (source / "library.sqlite-wal").stat().st_size > 0
    try:
        with read_only_copy(source, tmp_path / "ro") as index:
            assert read("ask", index) == (0, "")
            status = qa("index", "status", "--index", str(index))
            assert status.returncode == 0, status.stderr
            assert "2030-01-02T03:04:05" in status.stdout
    finally:
        writer.close()


def test_a_build_does_not_wait_for_readers_to_leave_the_wal(tmp_path: Path) -> None:
    # The chat keeps a reader open for its whole life. A build that waited for it (a
    # blocking WAL checkpoint) would stall every rebuild for SQLite's 30 s busy timeout,
    # so the limit below has a 30x margin over that bug and ~100x over a sound build.
    import threading

    articles = make_library(tmp_path / "articles")
    index = tmp_path / "index"
    build(index, articles)
    library = Library(index, embedder())
    library.snapshot()  # a read transaction stays open on this generation
    (articles / "added.txt").write_text("The ferry timetable changes in May.", encoding="utf-8")
    finished = threading.Event()

    def rebuild() -> None:
        build(index)
        finished.set()

    worker = threading.Thread(target=rebuild, daemon=True)
    worker.start()
    try:
        assert finished.wait(timeout=10), "the build waited for the open reader"
        assert (
            library.ask("When does the ferry timetable change?")
            .hits[0]
            .text.startswith("The ferry timetable")
        )
    finally:
        worker.join(timeout=60)
        library.close()
