"""Python adapters for the snakepit-micrometer tests."""
