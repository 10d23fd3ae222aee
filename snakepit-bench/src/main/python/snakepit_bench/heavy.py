"""``HeavyAdapter``: an adapter with a real data-science import stack (numpy, pandas, scikit-learn).

What users with real models pay per worker: the imports alone take hundreds of milliseconds and
tens of MiB. ``preload()`` fits a small model once per class (in the fork server's template when
workers are forked, so every forked worker shares its read-only arrays; in each spawned worker
otherwise). Installed by the ``bench`` extra of the Python package.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from snakepit_bridge import BaseAdapter, tool

FEATURES = 4


class HeavyAdapter(BaseAdapter):
    """Predicts a class for one row of features with a model fitted at preload."""

    model: ClassVar[LogisticRegression | None] = None
    # Read-only weights shared with forked workers (a stand-in for real model weights).
    table: ClassVar[Any] = None

    @classmethod
    def preload(cls) -> None:
        """Fit the model and build the lookup table (once per process that imports the class)."""
        if cls.model is not None:
            return
        rng = np.random.default_rng(7)
        features = rng.normal(size=(512, FEATURES))
        labels = (features @ np.arange(1, FEATURES + 1) > 0).astype(int)
        cls.model = LogisticRegression().fit(features, labels)
        cls.table = pd.DataFrame(rng.normal(size=(200_000, 8)), columns=[f"c{i}" for i in range(8)])

    @tool(description="Predict the class of one row of features")
    def predict(self, features: list[float]) -> int:
        """The model's class for ``features`` (``FEATURES`` floats)."""
        model = type(self).model
        assert model is not None
        return int(model.predict(np.asarray(features, dtype=float).reshape(1, -1))[0])

    @tool(run_in_thread=False, description="Return the argument unchanged (on the event loop)")
    def echo(self, message: Any) -> Any:
        """Return ``message``."""
        return message
