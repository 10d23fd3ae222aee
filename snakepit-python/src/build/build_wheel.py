"""Builds the snakepit-bridge wheel for the snakepit-python jar (run by Maven, stdlib only).

Usage: build_wheel.py PYTHON_PROJECT_DIR BUILD_DIR RESOURCE_DIR

Copies the Python project (pyproject.toml, README.md and the whole src/ tree, without caches) to
BUILD_DIR/source, builds a wheel from it with setuptools' PEP 517 backend (falling back to
``pip wheel`` when this interpreter's setuptools cannot build wheels), then writes
BUILD_DIR/snakepit-bridge.whl (the file Maven attaches) and RESOURCE_DIR/<wheel name> plus
RESOURCE_DIR/bridge.properties (what the Java side reads).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache", ".ruff_cache")


def build(project: Path, build_dir: Path, resources: Path) -> Path:
    # Fixed zip timestamps: the same sources give the same wheel (and hash), so caches keyed by it hold.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "315532800")
    source = build_dir / "source"
    wheels = build_dir / "wheels"
    for stale in (source, wheels):
        shutil.rmtree(stale, ignore_errors=True)
    source.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(project / name, source / name)
    shutil.copytree(project / "src", source / "src", ignore=IGNORED)
    wheels.mkdir(parents=True)
    wheel = _build_with_setuptools(source, wheels) or _build_with_pip(source, wheels)

    shutil.copy2(wheel, build_dir / "snakepit-bridge.whl")
    shutil.rmtree(resources, ignore_errors=True)
    resources.mkdir(parents=True)
    shutil.copy2(wheel, resources / wheel.name)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    version = wheel.name.split("-")[1]
    (resources / "bridge.properties").write_text(
        f"wheel={wheel.name}\nversion={version}\nsha256={digest}\n", encoding="utf-8")
    return wheel


def _build_with_setuptools(source: Path, wheels: Path) -> Path | None:
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_wheel(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", code, str(wheels)], cwd=source,
                            capture_output=True, text=True, check=False)
    built = sorted(wheels.glob("*.whl"))
    if result.returncode == 0 and built:
        return built[0]
    print("setuptools here cannot build the wheel; falling back to pip wheel", file=sys.stderr)
    return None


def _build_with_pip(source: Path, wheels: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
                    "-w", str(wheels), str(source)], check=True, env={**os.environ, "PIP_NO_INPUT": "1"})
    return sorted(wheels.glob("*.whl"))[0]


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
