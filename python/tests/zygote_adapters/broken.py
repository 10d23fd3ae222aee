"""A test adapter whose module fails at import."""

raise RuntimeError("broken on purpose")
