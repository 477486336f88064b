"""Issue 5, item 6: an index is refused by a model other than the one that built it.

The perturbed model has the same dimension (384), so the vectors would fit; only the
recorded identity (name plus weight hash) tells them apart.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fault_support import write_old
from library_fixtures import build, embedder
from model_fixtures import make_perturbed_model

QA = [sys.executable, "-m", "qa"]


@pytest.mark.slow
def test_other_model_of_same_dimension_is_refused_naming_both(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build(index_dir, write_old(tmp_path / "library"))
    other = make_perturbed_model(tmp_path / "perturbed")
    built_with = embedder().model_id
    for command in (["ask", "What did Peskov say?"], ["index", "build"]):
        result = subprocess.run(
            [*QA, *command, "--index", str(index_dir), "--model", str(other)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 3, result.stderr
        message = result.stderr.strip().splitlines()[-1]
        assert built_with in message, message
        assert "all-MiniLM-L6-v2@" in message.replace(built_with, ""), message
        assert "--full" in message, message
