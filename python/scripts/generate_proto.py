#!/usr/bin/env python3
"""Generate the protobuf/gRPC modules of ``snakepit_bridge`` from ``../proto/snakepit_bridge.proto``.

Usage (from ``python/``)::

    ../.venv/bin/python scripts/generate_proto.py            # writes into src/snakepit_bridge
    ../.venv/bin/python scripts/generate_proto.py --out DIR  # writes into DIR (used by the staleness test)

The generated ``snakepit_bridge_pb2_grpc.py`` is rewritten to import its messages package-relative
(``from . import snakepit_bridge_pb2``), so ``from snakepit_bridge import snakepit_bridge_pb2_grpc``
works as in Snakepit.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parent.parent
PROTO_FILE = PYTHON_DIR.parent / "proto" / "snakepit_bridge.proto"
DEFAULT_OUT = PYTHON_DIR / "src" / "snakepit_bridge"
GENERATED = ("snakepit_bridge_pb2.py", "snakepit_bridge_pb2.pyi", "snakepit_bridge_pb2_grpc.py")


def generate(out_dir: Path, proto_file: Path = PROTO_FILE) -> list[Path]:
    """Run grpc_tools.protoc for ``proto_file`` into ``out_dir``; return the generated files."""
    import grpc_tools
    from grpc_tools import protoc

    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{proto_file.parent}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        proto_file.name,
    ]
    code = protoc.main(args)
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code} for {proto_file}")
    grpc_module = out_dir / "snakepit_bridge_pb2_grpc.py"
    text = grpc_module.read_text(encoding="utf-8")
    fixed, count = re.subn(
        r"^import snakepit_bridge_pb2 as ", "from . import snakepit_bridge_pb2 as ", text, flags=re.M
    )
    if count != 1:
        raise RuntimeError(f"could not make the import in {grpc_module} package-relative")
    grpc_module.write_text(fixed, encoding="utf-8")
    return [out_dir / name for name in GENERATED]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--proto", type=Path, default=PROTO_FILE, help="the .proto file")
    options = parser.parse_args(argv)
    for path in generate(options.out, options.proto):
        print(f"generated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
