"""Results of the early-warning models kept between runs (rating.cache), so that a rerun refits
nothing whose inputs have not changed.

An entry is keyed by the sha256 of everything its result depends on: the rows a model was fitted
on and predicts (features and target), the model's name, the framework's `[model]` table, the
seed, the software and library versions and the source of the `models` package (`code_version`).
It holds plain arrays (a probability per predicted row, or the top features of an explanation),
never a fitted object. Where and how entries are kept: rating.cache.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from rating.cache import ENV, Cache, code_digest, default_folder, digest

__all__ = ["ENV", "Cache", "code_version", "default_folder", "digest"]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 of what turns inputs into results besides the inputs: the source of the `models`
    package and the versions of the engine, numpy, scipy and scikit-learn."""
    import scipy
    import sklearn

    from rating.version import __version__

    return code_digest((__version__, np.__version__, scipy.__version__, sklearn.__version__), Path(__file__).parent)
