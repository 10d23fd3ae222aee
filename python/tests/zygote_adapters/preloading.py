"""A test adapter with a class-level preload hook; initialize() reports where each step ran."""

from __future__ import annotations

import json
import os

from snakepit_bridge import BaseAdapter, tool


class PreloadingAdapter(BaseAdapter):
    preloaded_in: int | None = None
    preload_calls = 0

    @classmethod
    def preload(cls) -> None:
        cls.preloaded_in = os.getpid()
        cls.preload_calls += 1

    def initialize(self) -> None:
        report = os.environ.get("ZYGOTE_TEST_REPORT")
        if report:
            with open(report, "w", encoding="utf-8") as handle:
                json.dump(
                    {
                        "preloaded_in": self.preloaded_in,
                        "preload_calls": self.preload_calls,
                        "pid": os.getpid(),
                        "pgid": os.getpgid(0),
                        "worker_id": os.environ.get("SNAKEPIT_WORKER_ID"),
                        "cwd": os.getcwd(),
                    },
                    handle,
                )
        print(f"stdout line from {os.environ.get('SNAKEPIT_WORKER_ID')}", flush=True)

    @tool
    def echo(self, value: str) -> str:
        return value
