"""Python adapters for the snakepit-junit tests."""
