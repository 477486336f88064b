"""The headless layers stay light: importing them (and `qa --help`) loads no torch or textual.

And the chat draws its first frame with textual and light modules only: numpy, FAISS,
the build pipeline and the model all load in its worker, after the frame is on screen.
"""

from __future__ import annotations

from pathlib import Path

from import_probe import loaded_after, loaded_by_first_frame

HEAVY = ("torch", "sentence_transformers", "textual", "onnxruntime")

# What the first frame must not wait for: the numeric stack, the vector index, the model
# runtimes, and our own modules that bring them in.
SEARCH_MACHINERY = (
    "numpy",
    "faiss",
    "onnxruntime",
    "torch",
    "sentence_transformers",
    "index.build.run",
    "index.store.snapshot",
    "index.embedding.embed",
    "qa.library",
    "qa.retrieve",
)


def test_import_qa_and_index_loads_no_heavy_library() -> None:
    modules = loaded_after(
        "import qa, index, qa.cli, qa.library, index.build.run, index.store.snapshot"
    )
    assert not modules & set(HEAVY)


def test_qa_help_loads_no_heavy_library() -> None:
    code = "from qa.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    modules = loaded_after(code)
    assert not modules & set(HEAVY)


def test_index_never_imports_qa_or_tui() -> None:
    modules = loaded_after(
        "import index.build.run, index.store.snapshot, index.store.verify, index.embedding.embed"
    )
    assert not {m for m in modules if m.split(".")[0] in ("qa", "tui", "textual")}


def test_import_qa_loads_only_what_is_asked_for() -> None:
    assert not loaded_after("import qa") & set(SEARCH_MACHINERY)
    assert not loaded_after("from qa import Answer, Hit, QAError") & set(SEARCH_MACHINERY)
    assert "qa.library" in loaded_after("from qa import Library")


def test_every_public_name_of_qa_resolves() -> None:
    code = "import qa\nmissing = [n for n in qa.__all__ if getattr(qa, n, None) is None]\n"
    code += "assert not missing, missing\nfrom qa import *"
    loaded_after(code)


def test_tui_modules_of_the_first_frame_load_no_search_machinery() -> None:
    modules = loaded_after("import tui.app, tui.screens.chat, tui.messages, tui.state")
    assert "textual" in modules
    assert not modules & set(SEARCH_MACHINERY)


def test_the_first_frame_is_drawn_without_the_search_machinery(tmp_path: Path) -> None:
    modules = loaded_by_first_frame(str(tmp_path / "index"))
    assert not modules & set(SEARCH_MACHINERY)


def test_the_ask_path_over_shards_loads_no_dask_and_no_build() -> None:
    # A sharded library is asked through qa.sharded; its builds (and Dask) load only
    # when a build runs (tests/unit/test_shards.py asks one for real).
    modules = loaded_after("import qa.library, qa.sharded, qa.commands, qa.cli")
    assert "qa.sharded" in modules
    assert not modules & {"dask", "distributed", "index.shards.executors", "index.build.run"}
