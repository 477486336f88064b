"""The embedder with the real packaged model: identity, laziness, and ONNX agreeing with torch."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from import_probe import loaded_after
from model_fixtures import copy_default_model, make_cls_pooling_model, make_perturbed_model

from index.embedding import embed
from index.embedding.embed import EXPORT_NOTICE, load_embedder
from index.embedding.model import (
    IDENTITY_CACHE,
    default_model_path,
    model_identity,
    resolve_model_path,
)
from index.errors import UsageError
from index.locations import cache_dir
from index.models import Embedder

HEAVY = ("torch", "sentence_transformers", "onnxruntime", "textual")

LONG_PARAGRAPH = " ".join(
    f"In {1900 + i}, the council of the river town of Nørrebro-{i} voted on the bridge, "
    f"the ferry tariff and the harbour dues, and the mayor said the budget was ${i},000."
    for i in range(12)
)

PROBES = [
    "What did Peskov say?",
    "who won the 1973 oil crisis negotiations",
    "When did the harbour bridge reopen?",
    "a",
    "?",
    " ",
    "",
    "Ok.",
    "The harbour bridge reopened to traffic on Thursday after eight months of repairs.",
    "Mayor Ines Duarte said the city spent 41 million euros on the work.",
    "A late frost destroyed most of the apricot blossoms in the upper valley this week.",
    "Belarus announced a snap check of its military reserve on Tuesday.",
    "Remind me later.",
    "A Message from The Moscow Times: Dear readers, we are facing unprecedented challenges.",
    "Ünïcödé: Zürich, São Paulo, Kraków, Ærøskøbing — “quoted” text…",
    "日本語のテキスト：東京で会議が開かれた。",
    "Москва заявила о проведении учений в Беларуси.",
    "مرحبا بالعالم",
    "Emoji 🚀🔥 in a headline 🎉",
    "ALL CAPS HEADLINE ABOUT THE ELECTION",
    "url https://example.com/news/2021/03/04/bridge?id=42&ref=rss",
    "numbers 3.14159 2,718 1e-9 -42 100%",
    "tab\tseparated\tvalues",
    "line one\nline two\n\nline four",
    "word " * 300,
    LONG_PARAGRAPH,
    LONG_PARAGRAPH[: len(LONG_PARAGRAPH) // 2],
    "The Amazon rainforest covers much of the Amazon basin of South America.",
    "Oxygen is a chemical element with symbol O and atomic number 8.",
    "The Normans gave their name to Normandy, a region in France.",
    "How many people live in the Amazon basin?",
    "Which NFL team represented the AFC at Super Bowl 50?",
    "Super Bowl 50 was an American football game to determine the champion of the NFL.",
    "The Broncos defeated the Panthers 24–10 to earn their third Super Bowl title.",
    "What is the atomic number of oxygen?",
    "Victoria is the second-most populous state in Australia.",
    "Warsaw is the capital and largest city of Poland.",
    "In economics, inequality refers to the unequal distribution of income and wealth.",
    "The Rhine is a European river that begins in the Swiss Alps.",
    "Construction of the Sydney Opera House began in 1959.",
    "Tesla was born in 1856 in the Austrian Empire.",
    "Peskov declined to comment on the report.",
    "Prices rose 7.5% year on year, the statistics office said on Friday.",
    "co-operation, re-election, state-of-the-art, e-mail",
    "don't won't can't shouldn't",
    "(parenthesised) [bracketed] {braced} <angled>",
    "x" * 500,
    "The end.",
    "Is the museum open on Sundays?",
    "Ferry operators reported that passenger numbers fell by a third.",
]


def _warm_embedder(backend: str, session_cache: Path) -> Embedder:
    # Module fixtures are set up before conftest's function-scoped isolation, so they
    # point at the session cache themselves rather than touch the user's cache.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QA_CACHE_DIR", str(session_cache))
        patch.setenv("HF_HUB_OFFLINE", "1")
        embedder = load_embedder(backend=backend)
        embedder.warm()
        assert embedder.model_id
    return embedder


@pytest.fixture(scope="module")
def onnx_embedder(session_cache: Path) -> Embedder:
    return _warm_embedder("onnx", session_cache)


@pytest.fixture(scope="module")
def torch_embedder(session_cache: Path) -> Embedder:
    return _warm_embedder("torch", session_cache)


def test_import_and_load_embedder_load_no_heavy_library() -> None:
    code = (
        "from index.embedding.embed import load_embedder\n"
        "e = load_embedder()\n"
        "assert (e.dim, e.max_tokens) == (384, 254)\n"
        "assert e.count_tokens(['hello world']) == [2]\n"
        "assert '@' in e.model_id\n"
        "assert e.encode([]).shape == (0, 384)"
    )
    assert not loaded_after(code) & set(HEAVY)


def test_shape_and_limits_come_from_config_files() -> None:
    embedder = load_embedder()
    assert embedder.dim == 384
    assert embedder.max_tokens == 254
    assert embedder.model_path == str(default_model_path().resolve())
    assert embedder.backend == "onnx"
    assert load_embedder(backend="torch").backend == "torch"


def test_count_tokens_counts_word_pieces_without_truncation() -> None:
    embedder = load_embedder()
    counts = embedder.count_tokens(["hello world", "", "word " * 300, "unaffable"])
    assert counts[:3] == [2, 0, 300]
    assert counts[3] > 1  # split into several word pieces
    assert embedder.count_tokens([]) == []


def test_remembered_counts_mix_with_new_ones_in_the_order_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A build counts a passage when splitting and again when queueing it for the model.
    embedder = load_embedder()
    assert embedder.count_tokens(["word " * 7, "unaffable"]) == [7, 3]
    assert embedder.count_tokens(["a b c", "unaffable", "word " * 7, "x"]) == [3, 3, 7, 1]
    monkeypatch.setattr(embed, "COUNTS_KEPT", 2)  # full: forgets, still counts right
    assert embedder.count_tokens(["word " * 9, "a b c", "y z"]) == [9, 3, 2]


def test_model_id_names_the_weights(tmp_path: Path) -> None:
    default_id = model_identity(default_model_path())
    name, digest = default_id.split("@")
    assert name == "all-MiniLM-L6-v2"
    assert len(digest) == 16 and int(digest, 16) >= 0
    assert load_embedder().model_id == default_id
    assert model_identity(copy_default_model(tmp_path / "copy")) == default_id
    perturbed = make_perturbed_model(tmp_path / "perturbed")
    assert model_identity(perturbed) != default_id
    assert model_identity(perturbed).startswith("all-MiniLM-L6-v2@")
    assert load_embedder(perturbed).dim == 384


def test_model_id_cache_is_json_and_follows_the_weight_files(tmp_path: Path) -> None:
    model = copy_default_model(tmp_path / "model")
    real_id = model_identity(model)
    cache_file = cache_dir() / IDENTITY_CACHE
    cache = json.loads(cache_file.read_text(encoding="utf-8"))
    entry = cache[str(model.resolve())]
    assert entry["model_id"] == real_id
    # A planted id is served as long as the weight files look untouched: proof that the
    # cache, not a rehash, answered...
    entry["model_id"] = "planted@0000000000000000"
    cache_file.write_text(json.dumps(cache), encoding="utf-8")
    assert model_identity(model) == "planted@0000000000000000"
    # ...and touching the weights invalidates it.
    weights = model / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert model_identity(model) == real_id


def test_resolve_model_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_model_path(None) == default_model_path().resolve()
    model = copy_default_model(tmp_path / "elsewhere")
    monkeypatch.setenv("QA_MODEL", str(model))
    assert resolve_model_path(None) == model.resolve()
    assert resolve_model_path(str(model)) == model.resolve()
    with pytest.raises(UsageError, match="^model folder not found: .*nowhere") as missing:
        resolve_model_path(tmp_path / "nowhere")
    assert "\n" not in str(missing.value) and missing.value.exit_code == 2
    (model / "model.safetensors").unlink()
    with pytest.raises(UsageError, match="model folder not found: .*no .safetensors weights"):
        load_embedder(model)
    with pytest.raises(UsageError, match="unknown backend"):
        load_embedder(backend="gpu")


def test_encode_shapes_dtype_and_norms(onnx_embedder: Embedder) -> None:
    assert onnx_embedder.backend == "onnx"
    empty = onnx_embedder.encode([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    vectors = onnx_embedder.encode(["one text", "two texts here"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    with pytest.raises(TypeError):
        onnx_embedder.encode("a single string")


def test_onnx_order_and_batching_do_not_change_vectors(onnx_embedder: Embedder) -> None:
    texts = PROBES[:20]
    whole = onnx_embedder.encode(texts)
    small_batches = onnx_embedder.encode(texts, batch_size=3)
    one_by_one = np.vstack([onnx_embedder.encode([text]) for text in texts])
    reversed_order = onnx_embedder.encode(texts[::-1])[::-1]
    for other in (small_batches, one_by_one, reversed_order):
        np.testing.assert_allclose(other, whole, atol=2e-5)


def test_onnx_agrees_with_sentence_transformers(
    onnx_embedder: Embedder, torch_embedder: Embedder
) -> None:
    assert max(onnx_embedder.count_tokens(PROBES)) > 400  # truncation is exercised
    assert onnx_embedder.model_id == torch_embedder.model_id
    onnx_vectors = onnx_embedder.encode(PROBES)
    torch_vectors = torch_embedder.encode(PROBES)
    assert torch_embedder.backend == "torch"
    cosines = (onnx_vectors * torch_vectors).sum(axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= 0.9999, (PROBES[worst][:60], float(cosines[worst]))
    # The texts are really told apart, not all mapped to one point.
    assert float((onnx_vectors @ onnx_vectors.T)[0, 1:].max()) < 0.99


def test_cached_export_needs_neither_torch_nor_sentence_transformers(
    onnx_embedder: Embedder,
) -> None:
    code = (
        "from index.embedding.embed import load_embedder\n"
        "notes = []\n"
        "e = load_embedder(notify=notes.append)\n"
        "assert e.encode(['What did Peskov say?']).shape == (1, 384)\n"
        "assert e.backend == 'onnx' and notes == [], (e.backend, notes)"
    )
    loaded = loaded_after(code)
    assert "onnxruntime" in loaded
    assert not loaded & {"torch", "sentence_transformers", "textual"}


def test_other_weights_get_their_own_export(tmp_path: Path, onnx_embedder: Embedder) -> None:
    notes: list[str] = []
    perturbed = load_embedder(make_perturbed_model(tmp_path / "perturbed"), notify=notes.append)
    vectors = perturbed.encode(PROBES[:5])
    assert perturbed.backend == "onnx"
    assert notes == [EXPORT_NOTICE]
    assert (cache_dir() / "onnx" / perturbed.model_id / "model.onnx").is_file()
    assert (cache_dir() / "onnx" / perturbed.model_id / "tokenizer.json").is_file()
    assert not [p for p in (cache_dir() / "onnx").iterdir() if p.name.startswith(".")]
    # Really another model: a small perturbation, but not a float rounding difference.
    assert float(np.abs(vectors - onnx_embedder.encode(PROBES[:5])).max()) > 1e-4
    shutil.rmtree(tmp_path / "perturbed")


def test_auto_falls_back_to_torch_when_onnx_cannot_run_the_model(tmp_path: Path) -> None:
    model = make_cls_pooling_model(tmp_path / "cls")
    with pytest.raises(UsageError, match="ONNX backend cannot run"):
        load_embedder(model, backend="onnx")
    notes: list[str] = []
    embedder = load_embedder(model, notify=notes.append)
    assert embedder.backend == "torch"
    vectors = embedder.encode(["What did Peskov say?", "a"])
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert len(notes) == 1
    assert notes[0].startswith("ONNX export failed (") and notes[0].endswith(
        "); using sentence-transformers"
    )
