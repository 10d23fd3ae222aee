"""``ChattyAdapter``: logs what it is told, so the tests can see forwarded records and their MDC."""

from __future__ import annotations

import logging

from snakepit_bridge import BaseAdapter, current_context, tool

log = logging.getLogger("junit_test_adapters.chatty")


class ChattyAdapter(BaseAdapter):
    @tool(description="Log a message at the given level; return the call's correlation id")
    def say(self, message: str, level: str = "WARNING") -> str:
        log.log(logging.getLevelName(level), message)
        return current_context().correlation_id
