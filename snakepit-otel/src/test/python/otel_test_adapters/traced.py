"""``TracedAdapter``: the showcase tools in a worker that records its OpenTelemetry spans.

Each finished span is appended as one JSON line to the file named by ``SNAKEPIT_TEST_SPAN_FILE``,
so a Java test can see the Python side of a trace from every worker.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from snakepit_bridge import current_context, tool
from snakepit_bridge.adapters.showcase import ShowcaseAdapter


class JsonLinesExporter(SpanExporter):
    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            lines.append(
                json.dumps(
                    {
                        "name": span.name,
                        "kind": span.kind.name,
                        "trace_id": format(span.context.trace_id, "032x"),
                        "span_id": format(span.context.span_id, "016x"),
                        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
                        "worker": os.environ.get("SNAKEPIT_WORKER_ID", ""),
                        "attributes": {k: str(v) for k, v in (span.attributes or {}).items()},
                    }
                )
            )
        with self.lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS


class TracedAdapter(ShowcaseAdapter):
    def initialize(self) -> None:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(os.environ["SNAKEPIT_TEST_SPAN_FILE"])))
        trace.set_tracer_provider(provider)

    @tool(description="Call the host tool java_double and return its result")
    def round_trip(self, x: int) -> Any:
        return current_context().call_host_tool("java_double", x=x)
