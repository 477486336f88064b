"""Model folders for tests: a plain copy of the packaged model and a perturbed one.

The perturbed model has the same architecture and dimension but different weights, which
is exactly the case `model_id` must tell apart (an index built with one must refuse the
other even though the vectors would fit).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from index.embedding.model import default_model_path

WEIGHTS = "model.safetensors"
PERTURBED_TENSOR = "encoder.layer.0.attention.self.query.weight"


def copy_default_model(dst: Path) -> Path:
    """A byte-identical copy of the packaged model folder at `dst`."""
    shutil.copytree(default_model_path(), dst, dirs_exist_ok=True)
    return dst


def make_perturbed_model(dst: Path) -> Path:
    """A copy of the packaged model at `dst` with one weight tensor scaled by 1.01."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    copy_default_model(dst)
    weights = dst / WEIGHTS
    with safe_open(str(weights), framework="np") as handle:
        metadata = handle.metadata()
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    tensors[PERTURBED_TENSOR] = tensors[PERTURBED_TENSOR] * 1.01
    weights.unlink()  # never write through a hard link or into the original's bytes
    save_file(tensors, str(weights), metadata=metadata)
    return dst


def make_cls_pooling_model(dst: Path) -> Path:
    """A copy of the packaged model that pools the [CLS] token: the ONNX path can't run it."""
    copy_default_model(dst)
    config_path = dst / "1_Pooling" / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["pooling_mode_mean_tokens"] = False
    config["pooling_mode_cls_token"] = True
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return dst
