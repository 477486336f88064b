"""The ONNX export: the model's transformer, exported once with torch into the cache.

The export is derived data, kept per `model_id` under `cache_dir()/onnx/`, so different
weights never share an export and a deleted cache is simply made again. Only
`export_onnx` imports torch: asking never does once the export exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.embedding.model import ModelSpec
from index.locations import cache_dir

if TYPE_CHECKING:
    import torch

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "export.json"
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def export_dir(model_id: str) -> Path:
    """Where the export of `model_id` lives (the "@" and name are safe in a file name)."""
    safe = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in model_id)
    return cache_dir() / "onnx" / safe


def cached_export(spec: ModelSpec, model_id: str) -> Path | None:
    """The finished export of `model_id` for this model folder's architecture, or None."""
    folder = export_dir(model_id)
    # The folder appears by one rename with the manifest already inside, so a readable
    # manifest means the whole export is there.
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    # Same weights under another config.json (activation, layer norm eps...) would be
    # another graph; such an export is stale for this folder and gets redone.
    if not isinstance(manifest, dict):
        return None
    if manifest.get("config_sha256") != _config_sha256(spec) or not (folder / MODEL_FILE).is_file():
        return None
    return folder


def _config_sha256(spec: ModelSpec) -> str:
    return hashlib.sha256((spec.path / "config.json").read_bytes()).hexdigest()


def export_onnx(spec: ModelSpec, model_id: str) -> Path:
    """Export the model's transformer to ONNX under the cache; returns the export folder.

    Built in a temporary sibling folder and renamed into place, so a killed export leaves
    no half file where `cached_export` would find it.
    """
    final = export_dir(model_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        inputs = _export_graph(spec, work / MODEL_FILE)
        # Kept beside the graph so the export folder is self-describing; at run time the
        # model folder's own tokenizer is used, as sentence-transformers does.
        shutil.copyfile(spec.path / TOKENIZER_FILE, work / TOKENIZER_FILE)
        manifest = {
            "model_id": model_id,
            "model_path": str(spec.path),
            "config_sha256": _config_sha256(spec),
            "inputs": inputs,
            "opset": OPSET,
        }
        (work / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        for name in (MODEL_FILE, TOKENIZER_FILE, MANIFEST_FILE):
            fsync_file(work / name)
        _move_into_place(work, final, spec, model_id)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _move_into_place(work: Path, final: Path, spec: ModelSpec, model_id: str) -> None:
    if final.exists() and cached_export(spec, model_id) is None:
        # A stale or broken export: moved aside first, since rename cannot replace a
        # non-empty folder. A session already open on it has the graph in memory.
        stale = Path(tempfile.mkdtemp(prefix=f".{final.name}.stale.", dir=final.parent))
        os.rename(final, stale / "old")
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.rename(work, final)
    except OSError:
        # Another process finished the same export first; its copy is as good as ours.
        if cached_export(spec, model_id) is None:
            raise


def fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _export_graph(spec: ModelSpec, target: Path) -> list[str]:
    """Trace the transformer to `target`; returns the graph's input names."""
    import contextlib
    import inspect
    import io
    import warnings

    import torch

    from index.embedding.torch_backend import TorchBackend

    backend = TorchBackend(spec.path)
    transformer = backend.model[0]
    auto_model = getattr(transformer, "auto_model", None)
    if auto_model is None:
        raise RuntimeError(f"first module {type(transformer).__name__} has no transformer")
    accepted = inspect.signature(auto_model.forward).parameters
    names = [name for name in INPUT_NAMES if name in accepted]
    wrapper = _token_states(auto_model, names)
    # A padded example: with an all-ones mask transformers may skip building the
    # attention mask while tracing, and the graph would then ignore padding.
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    example = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "token_states"]}
    with (
        torch.no_grad(),
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            tuple(example[name] for name in names),
            str(target),
            input_names=names,
            output_names=["token_states"],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return names


def _token_states(model: Any, names: list[str]) -> torch.nn.Module:
    """The transformer with positional inputs and one output, as the exporter wants."""
    # The class is made here because torch.nn.Module cannot be a base class before torch
    # is imported, and this module must import without torch.
    import torch

    class TokenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(names, inputs, strict=True))
            return self.model(**kwargs, return_dict=True).last_hidden_state

    return TokenStates().eval()
