"""ONNX backend: the model's transformer exported once with torch, then run by onnxruntime.

Why: loading torch and sentence-transformers costs seconds on every `qa ask`, while an
onnxruntime session over the exported graph loads in a fraction of that and encodes at
least as fast on CPU. The export is derived data, kept per `model_id` under
`cache_dir()/onnx/`, so different weights never share an export and a deleted cache is
simply made again. Only this module's `export_onnx` imports torch.

The graph outputs token states; mean pooling over the attention mask and L2 normalisation
happen here in numpy, exactly as sentence-transformers' Pooling and Normalize modules do.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from index.embed import ModelSpec, load_tokenizer
from index.locations import cache_dir

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "export.json"
OPSET = 17
# Padded cells (rows x width) per onnxruntime call. Measured on 2 cores with 256-piece
# paragraphs: batches of ~16 long rows ran ~1.4x faster than 64, the activations of a
# big batch falling out of cache; short texts (questions) still batch 64 at a time.
TOKEN_BUDGET = 4096
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
    except (OSError, ValueError):
        return None
    # Same weights under another config.json (activation, layer norm eps...) would be
    # another graph; such an export is stale for this folder and gets redone.
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
            _fsync(work / name)
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


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _export_graph(spec: ModelSpec, target: Path) -> list[str]:
    """Trace the transformer to `target`; returns the graph's input names."""
    import contextlib
    import inspect
    import io
    import warnings

    import torch

    from index.embed import TorchBackend

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


def _token_states(model: object, names: list[str]) -> object:
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


def _thread_count() -> int:
    # Physical parallelism available to this process; onnxruntime's default spins one
    # thread per logical core, which oversubscribes small machines and containers.
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _batches(
    order: list[int], lengths: list[int], batch_size: int, token_budget: int
) -> Iterator[list[int]]:
    """Runs of `order` (longest first) of at most `batch_size` rows and ~`token_budget` cells."""
    start = 0
    while start < len(order):
        # The first row is the longest, so it sets the padded width of the whole batch.
        width = max(1, lengths[order[start]])
        rows = max(1, min(batch_size, token_budget // width))
        yield order[start : start + rows]
        start += rows


class OnnxBackend:
    """An onnxruntime session over one export folder, with pooling and normalisation."""

    def __init__(self, folder: Path, spec: ModelSpec) -> None:
        import onnxruntime as ort

        self.tokenizer = load_tokenizer(spec.path, max_length=spec.max_seq_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = _thread_count()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(folder / MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.token_budget = TOKEN_BUDGET

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        types = [np.asarray(e.type_ids, dtype=np.int64) for e in encodings]
        # Longest first, so batches hold similar lengths and padding costs little; the
        # original order is restored on the way out.
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        out: np.ndarray | None = None
        for chunk in _batches(order, [len(row) for row in ids], batch_size, self.token_budget):
            vectors = self._encode_batch([ids[i] for i in chunk], [types[i] for i in chunk])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[chunk] = vectors
        assert out is not None
        return out

    def _encode_batch(self, ids: list[np.ndarray], types: list[np.ndarray]) -> np.ndarray:
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        token_types = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, (piece_ids, type_ids) in enumerate(zip(ids, types, strict=True)):
            input_ids[row, : len(piece_ids)] = piece_ids
            token_types[row, : len(type_ids)] = type_ids
            mask[row, : len(piece_ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": token_types}
        (states,) = self.session.run(None, {name: feeds[name] for name in self.inputs})
        weights = mask[:, :, None].astype(np.float32)
        summed = (states * weights).sum(axis=1)
        pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
