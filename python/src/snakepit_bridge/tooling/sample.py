"""``SampleAdapter``: a small, fully typed adapter that the tooling's docs and tests generate from."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from typing import Literal, TypedDict

from snakepit_bridge import BaseAdapter, tool

__all__ = ["Point", "SampleAdapter", "Stats"]

__version__ = "1.0.0"


@dataclasses.dataclass
class Point:
    """A point in the plane.

    Args:
        x: horizontal position.
        y: vertical position.
        label: optional name of the point.
    """

    x: float
    y: float
    label: str | None = None


class Stats(TypedDict):
    """Summary statistics of a list of numbers."""

    count: int
    mean: float
    largest: float | None


class SampleAdapter(BaseAdapter):
    """Typed tools used by the manifest, docs and code generator tests."""

    @tool
    def greet(self, name: str, excited: bool = False) -> str:
        """Greet someone.

        Args:
            name: who to greet.
            excited: end with an exclamation mark.
        """
        return f"Hello, {name}{'!' if excited else '.'}"

    @tool
    def add(self, a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @tool
    def scale(self, values: list[float], factor: float = 2.0) -> list[float]:
        """Multiply every value by a factor."""
        return [v * factor for v in values]

    @tool
    def word_counts(self, text: str) -> dict[str, int]:
        """Count the words of a text."""
        counts: dict[str, int] = {}
        for word in text.split():
            counts[word] = counts.get(word, 0) + 1
        return counts

    @tool
    def convert(self, text: str, mode: Literal["upper", "lower"] = "upper") -> str:
        """Change the case of a text."""
        return text.upper() if mode == "upper" else text.lower()

    @tool
    def move(self, point: Point, dx: float = 0.0, dy: float = 0.0) -> Point:
        """Move a point by an offset."""
        p = point if isinstance(point, Point) else Point(**point)
        return Point(p.x + dx, p.y + dy, p.label)

    @tool
    def stats(self, values: list[float]) -> Stats:
        """Count, mean and largest value of a list."""
        return {
            "count": len(values),
            "mean": sum(values) / len(values) if values else 0.0,
            "largest": max(values) if values else None,
        }

    @tool
    def find_label(self, points: list[Point], label: str) -> Point | None:
        """The first point with this label, if any."""
        for p in points:
            p = p if isinstance(p, Point) else Point(**p)
            if p.label == label:
                return p
        return None

    @tool
    def checksum(self, data: bytes) -> str:
        """SHA-256 of some bytes, as hex."""
        return hashlib.sha256(data).hexdigest()

    @tool
    def count_up(self, limit: int) -> Iterator[int]:
        """Yield 1, 2, ... up to a limit."""
        yield from range(1, limit + 1)
