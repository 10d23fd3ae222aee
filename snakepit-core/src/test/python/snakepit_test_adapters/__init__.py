"""Adapters that misbehave on purpose, for the Java integration tests."""
