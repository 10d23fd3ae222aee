"""Snakepit 0.13's ML workflow showcase tools (load, preprocess, features, train, predict), written in
plain Python on a small synthetic data set so they need no numpy or scikit-learn."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

from snakepit_bridge import current_context, tool

from .tool import StreamChunk

__all__ = ["MLWorkflowTools"]

_LOCK = threading.RLock()
_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def _session() -> str:
    ctx = current_context()
    return ctx.session_id if ctx is not None else ""


class MLWorkflowTools:
    """Mixin: a per-session ML workflow (data set, features, a nearest-centroid model)."""

    def _ml(self) -> dict[str, Any]:
        with _LOCK:
            sessions = self.__dict__.setdefault("_ml_sessions", {})
            return sessions.setdefault(_session(), {})

    def _require(self, state: dict[str, Any], key: str, step: str) -> Any:
        if key not in state:
            raise ValueError(f"Call {step} first in this session")
        return state[key]

    @tool(description="Load a synthetic labelled data set and split it into train and test")
    def load_sample_data(self, dataset: str = "iris", split: float = 0.8) -> dict[str, Any]:
        rng = random.Random(dataset)
        rows = []
        for label in range(3):
            for _ in range(50):
                rows.append(([rng.gauss(1.5 * label + f, 0.4) for f in range(len(_FEATURES))], label))
        rng.shuffle(rows)
        cut = int(len(rows) * split)
        state = self._ml()
        state.update(train=rows[:cut], test=rows[cut:], features=list(_FEATURES))
        return {
            "dataset_name": dataset,
            "total_samples": len(rows),
            "train_samples": cut,
            "test_samples": len(rows) - cut,
            "feature_names": state["features"],
        }

    @tool(description="Normalize features (z-score)")
    def preprocess_data(
        self, normalize: bool = True, handle_missing: str = "mean", encode_categorical: bool = False
    ) -> dict[str, Any]:
        state = self._ml()
        train = self._require(state, "train", "load_sample_data")
        if normalize:
            columns = list(zip(*(x for x, _ in train), strict=True))
            means = [sum(c) / len(c) for c in columns]
            stds = [
                math.sqrt(sum((v - m) ** 2 for v in c) / len(c)) or 1.0 for c, m in zip(columns, means, strict=True)
            ]

            def scale(rows: list) -> list:
                return [([(v - m) / s for v, m, s in zip(x, means, stds, strict=True)], y) for x, y in rows]

            state["train"], state["test"] = scale(train), scale(state["test"])
        return {"normalized": normalize, "missing_handled": True, "categorical_encoded": encode_categorical}

    @tool(description="Add pairwise product features")
    def generate_features(
        self, method: str = "polynomial", degree: int = 2, interaction_only: bool = True
    ) -> dict[str, Any]:
        state = self._ml()
        self._require(state, "train", "load_sample_data")
        original = len(state["features"])
        pairs = [(i, j) for i in range(original) for j in range(i + 1, original)]

        def extend(rows: list) -> list:
            return [(x + [x[i] * x[j] for i, j in pairs], y) for x, y in rows]

        state["train"], state["test"] = extend(state["train"]), extend(state["test"])
        state["features"] = state["features"] + [f"{state['features'][i]}*{state['features'][j]}" for i, j in pairs]
        return {"original_features": original, "new_features": len(pairs), "total_features": original + len(pairs)}

    @tool(description="Keep the k features with the largest variance")
    def select_features(self, method: str = "variance", k_best: int = 4) -> dict[str, Any]:
        state = self._ml()
        train = self._require(state, "train", "load_sample_data")
        columns = list(zip(*(x for x, _ in train), strict=True))
        variances = [sum((v - sum(c) / len(c)) ** 2 for v in c) for c in columns]
        keep = sorted(sorted(range(len(columns)), key=lambda i: -variances[i])[:k_best])
        state["train"] = [([x[i] for i in keep], y) for x, y in train]
        state["test"] = [([x[i] for i in keep], y) for x, y in state["test"]]
        state["features"] = [state["features"][i] for i in keep]
        return {"selected_features": state["features"]}

    @tool(description="Train a nearest-centroid model, streaming progress", supports_streaming=True)
    def train_model(self, algorithm: str = "nearest_centroid", **kwargs: Any) -> Iterator[StreamChunk]:
        state = self._ml()
        train = self._require(state, "train", "load_sample_data")
        started = time.perf_counter()
        epochs = int(kwargs.get("epochs", 3))
        for epoch in range(1, epochs + 1):
            yield StreamChunk({"type": "progress", "epoch": epoch, "total_epochs": epochs})
        centroids: dict[int, list[float]] = {}
        for label in sorted({y for _, y in train}):
            members = [x for x, y in train if y == label]
            centroids[label] = [sum(c) / len(members) for c in zip(*members, strict=True)]
        state["model"] = centroids
        accuracy = self._accuracy(centroids, state["test"])
        yield StreamChunk(
            {
                "type": "completed",
                "algorithm": algorithm,
                "final_accuracy": accuracy,
                "training_time_ms": round((time.perf_counter() - started) * 1000, 2),
            },
            True,
        )

    @staticmethod
    def _predict(centroids: dict[int, list[float]], x: list[float]) -> tuple[int, float]:
        distances = {label: math.dist(x, c) for label, c in centroids.items()}
        best = min(distances, key=distances.get)  # type: ignore[arg-type]
        total = sum(1 / (d + 1e-9) for d in distances.values())
        return best, (1 / (distances[best] + 1e-9)) / total

    def _accuracy(self, centroids: dict[int, list[float]], rows: list) -> float:
        if not rows:
            return 0.0
        return sum(self._predict(centroids, x)[0] == y for x, y in rows) / len(rows)

    @tool(description="Cross-validate the nearest-centroid model")
    def cross_validate(self, cv_folds: int = 5) -> dict[str, Any]:
        state = self._ml()
        rows = self._require(state, "train", "load_sample_data")
        folds = [rows[i::cv_folds] for i in range(cv_folds)]
        accuracies = []
        for i, test in enumerate(folds):
            train = [r for j, f in enumerate(folds) if j != i for r in f]
            centroids = {
                label: [sum(c) / n for c in zip(*members, strict=True)]
                for label in {y for _, y in train}
                for members in [[x for x, y in train if y == label]]
                for n in [len(members)]
            }
            accuracies.append(self._accuracy(centroids, test))
        mean = sum(accuracies) / len(accuracies)
        std = math.sqrt(sum((a - mean) ** 2 for a in accuracies) / len(accuracies))
        return {"mean_accuracy": mean, "std_accuracy": std, "fold_accuracies": accuracies}

    @tool(description="Predict the class of one sample (features by name)")
    def predict_single(self, features: dict[str, float]) -> dict[str, Any]:
        state = self._ml()
        centroids = self._require(state, "model", "train_model")
        x = [float(features.get(name, 0.0)) for name in state["features"]]
        label, confidence = self._predict(centroids, x)
        return {"prediction": label, "confidence": confidence}

    @tool(description="Predict a batch of test samples, optionally with embeddings")
    def predict_batch_with_embeddings(
        self, batch_size: int = 10, include_embeddings: bool = False, embedding_dim: int = 8
    ) -> dict[str, Any]:
        state = self._ml()
        centroids = self._require(state, "model", "train_model")
        rows = state["test"][:batch_size]
        predictions = [self._predict(centroids, x)[0] for x, _ in rows]
        result: dict[str, Any] = {"batch_size": len(rows), "predictions": predictions}
        if include_embeddings:
            rng = random.Random(batch_size)
            result["embeddings"] = [[rng.gauss(0, 1) for _ in range(embedding_dim)] for _ in rows]
        return result

    @tool(description="Simple text statistics (the ML text-analysis demo)")
    def ml_analyze_text(self, text: str) -> dict[str, Any]:
        words = text.split()
        positive = sum(w.lower().strip(".,!?") in {"good", "great", "love", "excellent", "happy"} for w in words)
        negative = sum(w.lower().strip(".,!?") in {"bad", "awful", "hate", "terrible", "sad"} for w in words)
        return {
            "text": text,
            "word_count": len(words),
            "char_count": len(text),
            "sentiment": "positive" if positive > negative else "negative" if negative > positive else "neutral",
        }
