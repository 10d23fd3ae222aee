"""Serves a logistic-regression classifier of iris flowers, trained when the worker starts.

The iris data set ships with scikit-learn, so nothing is downloaded at run time.
"""

from __future__ import annotations

from typing import Any

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from snakepit_bridge import BaseAdapter, tool


class IrisAdapter(BaseAdapter):
    """Predicts the species of an iris from its four measurements (cm)."""

    def __init__(self) -> None:
        super().__init__()
        data = load_iris()
        self._species = [str(name) for name in data.target_names]
        self._model = LogisticRegression(max_iter=500).fit(data.data, data.target)

    @tool(description="Predict the iris species from sepal length, sepal width, petal length, petal width (cm)")
    def predict(self, features: list[float]) -> dict[str, Any]:
        """Return the most likely species and the probability of each one."""
        if len(features) != 4:
            raise ValueError(f"features must hold 4 measurements, got {len(features)}")
        probabilities = self._model.predict_proba([features])[0]
        best = int(probabilities.argmax())
        return {
            "species": self._species[best],
            "probabilities": {name: round(float(p), 4) for name, p in zip(self._species, probabilities)},
        }
