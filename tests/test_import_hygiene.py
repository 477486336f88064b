"""The headless layers stay light: importing them (and `qa --help`) loads no torch or textual."""

from __future__ import annotations

from import_probe import loaded_after

HEAVY = ("torch", "sentence_transformers", "textual", "onnxruntime")


def test_import_qa_and_index_loads_no_heavy_library() -> None:
    modules = loaded_after("import qa, index, qa.cli, qa.library, index.build, index.store")
    assert not modules & set(HEAVY)


def test_qa_help_loads_no_heavy_library() -> None:
    code = "from qa.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    modules = loaded_after(code)
    assert not modules & set(HEAVY)


def test_index_never_imports_qa_or_tui() -> None:
    modules = loaded_after("import index.build, index.store, index.verify, index.embed")
    assert not {m for m in modules if m.split(".")[0] in ("qa", "tui", "textual")}
