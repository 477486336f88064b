"""Where things live on disk: the default library, its index, and caches.

Every path is "return, possibly creating". `QA_HOME` moves everything (tests point it at
a temporary folder); `QA_INDEX` names one index folder; `QA_CACHE_DIR` moves derived,
re-creatable files such as exported ONNX models.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "article-qa"


def home_dir() -> Path:
    """The root of the default library: `QA_HOME`, else the user data dir."""
    env = os.environ.get("QA_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_articles_dir() -> Path:
    """Folder of the default library's articles (the user drops files here)."""
    return home_dir() / "articles"


def default_index_dir() -> Path:
    """Index folder used when neither `--index` nor `QA_INDEX` is given."""
    env = os.environ.get("QA_INDEX")
    if env:
        return Path(env).expanduser()
    return home_dir() / "index"


def cache_dir() -> Path:
    """Re-creatable derived files (ONNX exports, model hashes, eval indexes)."""
    env = os.environ.get("QA_CACHE_DIR")
    if env:
        path = Path(env).expanduser()
    elif os.environ.get("QA_HOME"):
        path = home_dir() / "cache"
    else:
        from platformdirs import user_cache_dir

        path = Path(user_cache_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def sample_dir() -> Path:
    """The bundled sample article shipped inside the package."""
    return Path(__file__).parent / "sample"
