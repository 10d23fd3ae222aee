"""The committed generated modules must match ../proto/snakepit_bridge.proto."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = PYTHON_DIR / "src" / "snakepit_bridge"


def _load_script():
    spec = importlib.util.spec_from_file_location("generate_proto", PYTHON_DIR / "scripts" / "generate_proto.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_generated_code_is_up_to_date(tmp_path: Path) -> None:
    script = _load_script()
    stale = []
    for generated in script.generate(tmp_path):
        committed = PACKAGE_DIR / generated.name
        if not committed.exists() or committed.read_bytes() != generated.read_bytes():
            stale.append(generated.name)
    assert not stale, (
        f"Generated code is stale: {', '.join(stale)}. "
        "Run `../.venv/bin/python scripts/generate_proto.py` from python/ and commit the result."
    )


def test_snakepit_style_imports_work() -> None:
    from snakepit_bridge import snakepit_bridge_pb2, snakepit_bridge_pb2_grpc

    assert snakepit_bridge_pb2.DESCRIPTOR.package == "snakepit.bridge"
    assert hasattr(snakepit_bridge_pb2_grpc, "BridgeServiceStub")
    fields = snakepit_bridge_pb2.ExecuteElixirToolRequest.DESCRIPTOR.fields_by_name
    assert fields["binary_parameters"].number == 5
