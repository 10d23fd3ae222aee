"""The worker's and the template's command lines read without argparse agree with argparse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from snakepit_bridge._argv import parse_known_flags
from snakepit_bridge.worker import lifecycle
from snakepit_bridge.zygote import template

LAUNCHES = [
    ["--adapter", "m.A"],
    ["--adapter", "m.A", "--port", "0", "--snakepit-run-id", "run-1", "--transport", "lane"],
    ["--adapter=m.A", "--port=50051", "--host", "0.0.0.0", "--max-message-size", "1024"],
    ["--adapter", "m.A", "--elixir-address", "localhost:1", "--adapter", "m.B"],  # last one wins, as argparse
    ["--adapter", "m.A", "--port", "-1"],  # a negative number is a value
]


@pytest.mark.parametrize("argv", LAUNCHES)
def test_launch_contract_is_read_as_argparse_reads_it(argv: list[str]) -> None:
    fast = parse_known_flags(argv, lifecycle._LAUNCH_FLAGS, lifecycle._LAUNCH_DEFAULTS, required=("--adapter",))
    assert fast is not None
    full = vars(lifecycle.parser().parse_args(argv))
    assert {name: full[name] for name in vars(fast)} == vars(fast)


@pytest.mark.parametrize(
    "argv",
    [
        [],  # --adapter is required: argparse says so
        ["--adapter"],  # no value
        ["--adapter", "m.A", "--port", "eighty"],  # not an int: argparse names the flag
        ["--adapter", "m.A", "--listen", "0.0.0.0:1"],  # a standalone worker's flag
        ["--adapter", "m.A", "--help"],
        ["--adapter", "--port", "1"],  # a flag where a value belongs
        ["stray", "m.A"],
    ],
)
def test_anything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert parse_known_flags(argv, lifecycle._LAUNCH_FLAGS, lifecycle._LAUNCH_DEFAULTS, required=("--adapter",)) is None


def test_parse_arguments_falls_back_to_argparse_for_its_error() -> None:
    with pytest.raises(SystemExit) as exited:
        lifecycle.parse_arguments(["--adapter", "m.A", "--port", "eighty"])
    assert exited.value.code == 2


def test_template_preload_flags_collect_like_argparse_append() -> None:
    argv = ["--adapter", "m.A", "--preload", "numpy,pandas", "--preload", "torch", "--snakepit-run-id", "r"]
    fast = parse_known_flags(
        argv, template._FLAGS, template._DEFAULTS, required=("--adapter",), repeated=("--preload",)
    )
    assert fast is not None
    assert vars(fast) == vars(template._parser().parse_args(argv))
    assert template._DEFAULTS["preload"] == []  # the default list is never appended to


def test_a_launched_worker_never_imports_argparse() -> None:
    code = (
        "import sys\n"
        "from snakepit_bridge.worker import lifecycle\n"
        "import snakepit_bridge.lane.worker, snakepit_bridge.zygote.template\n"
        "lifecycle.parse_arguments(['--adapter', 'm.A', '--port', '0', '--transport', 'lane'])\n"
        "lazy = ('argparse', 'gettext', 'shutil', 'concurrent.futures', 'random')\n"
        "print(sorted(m for m in lazy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
