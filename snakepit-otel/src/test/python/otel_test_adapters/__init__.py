"""Python adapters for the snakepit-otel tests."""
