"""Bounded coverage-guided fuzzing (atheris) of the wire decoders; see python/fuzz and docs/reliability.md.

Each target runs for a few seconds in its own process over the corpus in python/fuzz/corpus/<target>
(read-only: new inputs go to a temporary directory). A crash fails the test and names its input file.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ_DIR = Path(__file__).resolve().parent.parent / "fuzz"
SECONDS = int(os.environ.get("SNAKEPIT_FUZZ_SECONDS", "5"))

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None,
    reason="atheris is not installed (it ships Linux wheels for CPython up to 3.13 only)",
)


@pytest.mark.parametrize("target", ["any", "arguments", "validation", "remote_error"])
def test_decoder_survives_fuzzing(target: str, tmp_path: Path) -> None:
    found = tmp_path / "found"
    found.mkdir()
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            str(FUZZ_DIR / "fuzz_decoders.py"),
            target,
            f"-max_total_time={SECONDS}",
            "-max_len=8192",
            f"-artifact_prefix={artifacts}/",
            str(found),
            str(FUZZ_DIR / "corpus" / target),
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
    )
    crashes = sorted(p.name for p in artifacts.iterdir())
    if result.returncode != 0 or crashes:
        kept = Path(os.environ.get("SNAKEPIT_FUZZ_KEEP", tmp_path))
        for name in crashes:
            shutil.copy(artifacts / name, kept / name)
        pytest.fail(f"fuzz target {target} crashed (inputs {crashes} in {kept}):\n{result.stderr[-4000:]}")
    runs = re.findall(r"Done (\d+) runs", result.stderr)
    assert runs, result.stderr[-2000:]
    # One line per target, for docs/reliability.md (pytest -s shows it).
    print(f"FUZZ python {target}: {runs[-1]} executions, 0 crashes")
