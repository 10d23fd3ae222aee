"""The fork server ("zygote"): one template process per pool imports the adapter once, then forks
workers that share its memory and start in milliseconds.

``python -m snakepit_bridge.zygote --adapter module.Class`` runs a template; the control protocol
is described in :mod:`snakepit_bridge.zygote.template` and docs/start-modes.md. Forked workers
are full workers: they run the same ``main`` as a spawned worker.
"""

from __future__ import annotations

from .safety import fork_unsafe_reason

__all__ = ["fork_unsafe_reason"]
