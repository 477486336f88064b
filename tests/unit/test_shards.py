"""A sharded library answers as one store holding every article does, and is built,
updated, checked and refused as one.

The shards here are built in this process (`InlineExecutor`, the session's model): the
executors' own tests (a process pool, a Dask cluster) are in test_shards_dask.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from import_probe import loaded_after
from library_fixtures import build, embedder, make_library

from index.build.run import BuildReport, run_build
from index.errors import IndexCorrupt
from index.shards.assign import article_key, shard_of
from index.shards.build import build_library
from index.shards.executors import Executor, InlineExecutor
from index.shards.manifest import manifest_path, read_manifest
from index.shards.task import ShardJob, ShardResult, run_shard
from index.shards.verify import verify_library
from index.sources.discovery import DEFAULT_MAX_BYTES
from index.store.interface import Store
from index.store.snapshot import IndexSnapshot
from qa.cli import main
from qa.library import Library
from qa.retrieve import Filters, rank_passages
from qa.sharded import ShardedStore

QUESTIONS = [
    "What did Peskov say about the reserve?",
    "How much did the bridge repairs cost?",
    "apricot frost harvest",
    "Which town did river 3 flood?",
    "Who paid for the new school roof in Belmont?",
]


def _notes(folder: Path) -> None:
    """Small articles of their own, so that every one of three shards holds some."""
    for n in range(1, 10):
        (folder / f"note-{n}.txt").write_text(
            f"Title: Note {n}\nSource: Gazette\nPublished: 2023-0{n}-01\n\n"
            f"The river {n} flooded the valley town of Arden{n} in spring."
            + " It rained again."
            * n
            + "\n\n"
            f"Officials said the repairs in Arden{n} would cost {n} million, and the "
            f"school roof in Belmont{n} was paid for by the parish."
            # Of different lengths: no two notes tie on BM25 (ties may come in any order).
             + " It rained again." * n,
            encoding="utf-8",
        )


class RecordingExecutor(InlineExecutor):
    """The inline executor, noting which shards each build ran."""

    def __init__(self) -> None:
        super().__init__(embedder())
        self.ran: list[list[int]] = []

    def run(self, jobs: Sequence[ShardJob]) -> Iterator[ShardResult]:
        self.ran.append([job.shard for job in jobs])
        yield from super().run(jobs)


def build_sharded(
    index_dir: Path,
    *paths: Path,
    shards: int | None = 3,
    executor: Executor | None = None,
    full: bool = False,
) -> BuildReport:
    events = build_library(
        index_dir,
        list(paths),
        shards=shards,
        executor=executor or InlineExecutor(embedder()),
        model=None,
        model_id=embedder().model_id,
        full=full,
    )
    return run_build(events)


@pytest.fixture(scope="module")
def libraries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shards")
    articles = make_library(root / "articles")
    _notes(articles)
    build(root / "one", articles)
    build_sharded(root / "three", articles)
    return {"articles": articles, "one": root / "one", "three": root / "three"}


def test_assignment_is_a_stable_hash_of_the_path_inside_the_library() -> None:
    assert article_key("/news", "/news/2024/a.txt") == "2024/a.txt"
    assert article_key("/mnt/other/news", "/mnt/other/news/2024/a.txt") == "2024/a.txt"
    assert article_key("/news/a.txt", "/news/a.txt") == "a.txt"
    # Fixed forever: a different value would move articles between shards on upgrade.
    assert [shard_of(f"{n}.txt", 8) for n in range(8)] == [
        shard_of(f"{n}.txt", 8) for n in range(8)
    ]
    spread = np.bincount([shard_of(f"article-{n}.txt", 4) for n in range(400)], minlength=4)
    assert spread.min() > 70


def _ranked(
    store: Store, question: str, vector: np.ndarray, mode: str, filters: Filters | None = None
) -> tuple[list[tuple[str, int]], list[float]]:
    ranked = rank_passages(store, question, vector, k=8, mode=mode, filters=filters)
    return [(p.record.article.key, p.record.start) for p in ranked], [p.score for p in ranked]


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_three_shards_rank_exactly_as_one_store(libraries: dict[str, Path], mode: str) -> None:
    manifest = read_manifest(libraries["three"])
    assert all(entry.articles for entry in manifest.shards)  # each shard holds some
    one = IndexSnapshot.open(libraries["one"])
    three = ShardedStore.open(libraries["three"])
    try:
        assert three.passage_count() == one.passage_count() == manifest.documents
        for question, vector in zip(QUESTIONS, embedder().encode(QUESTIONS), strict=True):
            single, single_scores = _ranked(one, question, vector, mode)
            sharded, sharded_scores = _ranked(three, question, vector, mode)
            assert single and sharded == single, question
            # Vectors embedded in other batches differ in float32 rounding (~1e-7).
            tolerance = 1e-9 if mode == "bm25" else 1e-6
            assert sharded_scores == pytest.approx(single_scores, abs=tolerance), question
        # The global BM25 of every candidate, not only the order: FTS5's scores themselves.
        match = '"repairs" OR "arden3" OR "bridge"'
        assert [s for _, s in three.lexical_search(match, 50)] == pytest.approx(
            [s for _, s in one.lexical_search(match, 50)], abs=1e-12
        )
        herald = Filters(source="gazette", since="2023-03")
        keys, _ = _ranked(three, "repairs cost", vector, mode, herald)
        assert keys == _ranked(one, "repairs cost", vector, mode, herald)[0]
        assert {k for k, _ in keys} <= {f"note-{n}.txt" for n in range(3, 10)}
    finally:
        one.close()
        three.close()


def test_library_asks_a_sharded_folder_and_status_counts_every_shard(
    libraries: dict[str, Path],
) -> None:
    with_shards = Library(libraries["three"], embedder())
    alone = Library(libraries["one"], embedder())
    try:
        answer = with_shards.ask("How much did the bridge repairs cost?", k=3)
        assert [h.text for h in answer.hits] == [
            h.text for h in alone.ask("How much did the bridge repairs cost?", k=3).hits
        ]
        info, single = with_shards.info(), alone.info()
        assert info.shards == 3 and single.shards == 1
        assert (info.articles, info.paragraphs, info.passages, info.sentences) == (
            single.articles,
            single.paragraphs,
            single.passages,
            single.sentences,
        )
        hit = answer.hits[0]
        paragraphs = with_shards.article_paragraphs(hit.citation.article_id)
        assert any(hit.text in text for _, text, _ in paragraphs)
    finally:
        with_shards.close()
        alone.close()


def test_a_rerun_builds_only_the_shards_whose_articles_changed(
    libraries: dict[str, Path], tmp_path: Path
) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(libraries["articles"], articles)
    index_dir = tmp_path / "index"
    executor = RecordingExecutor()
    build_sharded(index_dir, articles, executor=executor)
    library = Library(index_dir, embedder())
    try:
        before = library.ask("Which town did river 4 flood?", k=1)
        assert "Arden4" in before.hits[0].text
        report = build_sharded(index_dir, shards=None, executor=executor)
        assert executor.ran[-1] == [] and report.embedded == 0
        assert read_manifest(index_dir).generation == 1
        edited = articles / "note-4.txt"
        edited.write_text(edited.read_text().replace("Arden4", "Zorrington"), encoding="utf-8")
        build_sharded(index_dir, executor=executor)
        assert executor.ran[-1] == [shard_of("note-4.txt", 3)]
        assert read_manifest(index_dir).generation == 2
        after = library.ask("Which town did river 4 flood?", k=1)
        assert "Zorrington" in after.hits[0].text
    finally:
        library.close()


def test_damage_is_named_by_shard_and_manifest(libraries: dict[str, Path], tmp_path: Path) -> None:
    damaged = tmp_path / "three"
    shutil.copytree(libraries["three"], damaged)
    assert verify_library(damaged) == []
    vector_file = next((damaged / "shard-001").glob("vectors-*.faiss"))
    with vector_file.open("r+b") as out:
        out.seek(100)
        out.write(b"garbage")
    problems = verify_library(damaged)
    assert len(problems) == 1 and problems[0].startswith("shard-001: ")
    with pytest.raises(IndexCorrupt, match="shard-001"):
        ShardedStore.open(damaged)
    manifest = json.loads(manifest_path(damaged).read_text())
    manifest["bm25"]["tokens"] += 1
    manifest_path(damaged).write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match=r"manifest\.json: damaged shard manifest \(its BM25"):
        ShardedStore.open(damaged)
    # --full is the fix for both.
    build_sharded(damaged, shards=None, full=True)
    assert verify_library(damaged) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--shards", "0"], "--shards must be between 1 and 256, not 0"),
        (["--executor", "dask"], "--executor dask builds the shards of a sharded library"),
        (["--shards", "2", "--scheduler", "tcp://x:1"], "--scheduler is for --executor dask"),
        (["--shards", "2", "--executor", "dask"], "--executor dask needs the scheduler's"),
        (
            ["--shards", "2", "--executor", "dask", "--scheduler", "not an address"],
            "scheduler address 'not an address' is not HOST:PORT or tcp://HOST:PORT",
        ),
        (["--index-of", "one", "--shards", "2"], "is a single store (built without --shards)"),
        (["--index-of", "three", "--shards", "2"], "has 3 shards, not 2; rebuild it with --full"),
    ],
)
def test_combinations_that_cannot_build_are_one_line_usage_errors(
    libraries: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    message: str,
) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    index_dir = tmp_path / "new"
    if options[0] == "--index-of":
        index_dir = libraries[options[1]]
        options = options[2:]
    code = main(["index", "build", str(libraries["articles"]), "--index", str(index_dir), *options])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "new").exists()


def test_asking_a_sharded_library_loads_no_build_and_no_dask(libraries: dict[str, Path]) -> None:
    loaded = loaded_after(
        "from qa.cli import main\n"
        f"assert main(['ask', 'What did Peskov say?', '--index', {str(libraries['three'])!r}]) == 0"
    )
    assert "qa.sharded" in loaded
    unwanted = {"dask", "distributed", "index.shards.executors", "index.build.run"}
    assert not loaded & unwanted, loaded & unwanted


def test_a_build_stopped_before_its_manifest_still_answers_and_the_next_completes_it(
    libraries: dict[str, Path], tmp_path: Path
) -> None:
    """A shard committed, the manifest not yet written (the build died in between): the
    library answers with the shards as committed, and the next build writes the manifest
    without building anything."""
    articles = tmp_path / "articles"
    shutil.copytree(libraries["articles"], articles)
    index_dir = tmp_path / "index"
    build_sharded(index_dir, articles)
    edited = articles / "note-7.txt"
    edited.write_text(edited.read_text().replace("Arden7", "Quillhaven"), encoding="utf-8")
    shard = shard_of("note-7.txt", 3)
    job = ShardJob(
        folder=str(index_dir / f"shard-{shard:03d}"),
        shard=shard,
        shards=3,
        roots=(str(articles),),
        model=None,
        backend="auto",
        full=False,
        max_bytes=DEFAULT_MAX_BYTES,
    )
    run_shard(job, embedder())  # what the stopped build had done
    warnings: list[str] = []
    assert verify_library(index_dir, warn=warnings.append) == []
    assert any(w.startswith(f"shard-{shard:03d}: committed generation 2") for w in warnings)
    build(tmp_path / "one", articles)
    with (
        closing(ShardedStore.open(index_dir)) as three,
        closing(IndexSnapshot.open(tmp_path / "one")) as one,
    ):
        question = "Which town did river 7 flood?"
        vector = embedder().encode([question])[0]
        for mode in ("hybrid", "bm25"):
            keys, scores = _ranked(three, question, vector, mode)
            assert keys == _ranked(one, question, vector, mode)[0]
            assert scores == pytest.approx(_ranked(one, question, vector, mode)[1], abs=1e-6)
        assert "Quillhaven" in rank_passages(three, question, vector, k=1)[0].record.text
    executor = RecordingExecutor()
    build_sharded(index_dir, shards=None, executor=executor)
    assert executor.ran == [[]] and read_manifest(index_dir).generation == 2
    warnings.clear()
    assert verify_library(index_dir, warn=warnings.append) == [] and not warnings
