"""Adapter tooling: the manifest (``python -m snakepit_bridge.tooling.manifest``) that the
``snakepit`` CLI builds its compatibility check, docs and typed Java clients from."""
