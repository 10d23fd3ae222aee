"""Shared-memory hand-off of large bytes (docs/worker-contract.md): arguments in, results out."""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Worker, request

from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge.adapters.showcase import ShowcaseAdapter


@pytest.fixture
def shm_worker(make_worker: Callable[..., Worker], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Worker:
    monkeypatch.setenv("SNAKEPIT_SHM_DIR", str(tmp_path))
    return make_worker(ShowcaseAdapter())


def test_ping_advertises_the_hand_off_with_a_directory(shm_worker: Worker) -> None:
    _, call = shm_worker.stub.Ping.with_call(pb2.PingRequest(message="x"), timeout=5, metadata=shm_worker.metadata)
    assert ("snakepit-features", "shm") in call.trailing_metadata()


def test_ping_does_not_advertise_it_without_one(showcase_worker: Worker) -> None:
    _, call = showcase_worker.stub.Ping.with_call(
        pb2.PingRequest(message="x"), timeout=5, metadata=showcase_worker.metadata
    )
    assert all(key != "snakepit-features" for key, _ in call.trailing_metadata())


def test_an_argument_is_read_from_its_file_up_to_the_given_length(shm_worker: Worker, tmp_path: Path) -> None:
    payload = os.urandom(300_000)
    # A reused file may be longer than this call's argument: only <length> bytes count.
    (tmp_path / "h1").write_bytes(payload + b"stale tail from an earlier call")
    req = request("process_binary", metadata={"snakepit.shm:data": f"h1:{len(payload)}"}, binary={"data": b""})
    response = shm_worker.stub.ExecuteTool(req, timeout=10, metadata=shm_worker.metadata)
    assert response.success, response.error_message
    result = json.loads(response.result.value)
    assert result == {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}


def test_a_large_result_is_written_to_the_offered_file(shm_worker: Worker, tmp_path: Path) -> None:
    req = request("generate_bytes", metadata={"snakepit.shm_results": "262144:h7"}, size=1_000_000, seed=3)
    response = shm_worker.stub.ExecuteTool(req, timeout=10, metadata=shm_worker.metadata)
    assert response.success, response.error_message
    assert response.metadata["snakepit.shm_result"] == "h7:1000000"
    assert response.binary_result == b""
    assert response.result.type_url.endswith(".binary")
    assert (tmp_path / "h7").read_bytes()[:1_000_000] == random.Random(3).randbytes(1_000_000)


def test_a_small_result_stays_in_the_message(shm_worker: Worker, tmp_path: Path) -> None:
    req = request("generate_bytes", metadata={"snakepit.shm_results": "262144:h8"}, size=1000)
    response = shm_worker.stub.ExecuteTool(req, timeout=10, metadata=shm_worker.metadata)
    assert response.success, response.error_message
    assert "snakepit.shm_result" not in response.metadata
    assert len(response.binary_result) == 1000
    assert not (tmp_path / "h8").exists()


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ""])
def test_file_names_outside_the_directory_are_refused(shm_worker: Worker, name: str) -> None:
    req = request("process_binary", metadata={"snakepit.shm:data": f"{name}:10"}, binary={"data": b""})
    response = shm_worker.stub.ExecuteTool(req, timeout=10, metadata=shm_worker.metadata)
    assert not response.success
    assert "shared-memory file name" in response.error_message
