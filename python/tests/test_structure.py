"""Package structure: what imports what, module sizes, the worker's start-up switches."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import SHOWCASE, WorkerProcess, wait_until

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "snakepit_bridge"
GENERATED = {"snakepit_bridge_pb2.py", "snakepit_bridge_pb2_grpc.py", "snakepit_bridge_pb2.pyi"}

# What a worker on a transport other than gRPC imports: none of it may pull in grpc or protobuf.
GRPC_FREE = [
    "snakepit_bridge",
    "snakepit_bridge.tools",
    "snakepit_bridge.runtime",
    "snakepit_bridge.worker",
    "snakepit_bridge.worker.lifecycle",
    "snakepit_bridge.worker.heartbeat",
    "snakepit_bridge.worker.main",
    "snakepit_bridge.telemetry",
    "snakepit_bridge.errors",
    "snakepit_bridge.session_context",
    "snakepit_bridge.base_adapter",
    "snakepit_bridge.wire.values",
    "snakepit_bridge.wire.metadata",
    "snakepit_bridge.server",
]


def _modules_after_import(*modules: str) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60)
    return set(out.stdout.split())


def test_the_package_core_imports_neither_grpc_nor_protobuf() -> None:
    loaded = _modules_after_import(*GRPC_FREE)
    heavy = sorted(m for m in loaded if m == "grpc" or m.startswith(("grpc.", "google.protobuf")))
    assert heavy == [], f"importing {GRPC_FREE} pulled in {heavy[:10]}"


def test_the_grpc_path_still_imports_grpc() -> None:
    loaded = _modules_after_import("snakepit_bridge.wire.server")
    assert "grpc" in loaded and "google.protobuf" in loaded


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
            names.update("." * node.level + (node.module + "." if node.module else "") + a.name for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_telemetry_and_the_current_call_variable_do_not_import_the_session_context() -> None:
    for path in [*(PACKAGE / "telemetry").glob("*.py"), PACKAGE / "_current.py"]:
        imported = _imports(path)
        assert not any("session_context" in name for name in imported), f"{path.name} imports {imported}"
    assert _imports(PACKAGE / "_current.py") <= {
        "__future__.annotations",
        "__future__",
        "contextvars",
        "typing",
        "typing.Any",
    }


def test_no_module_is_over_400_lines_except_generated_code() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if path.name not in GENERATED and (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert too_long == {}


def _spawn(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path, Path]:
    worker = WorkerProcess.start(SHOWCASE, tmp_path / "ready", *args, env=env)
    return worker.proc, worker.ready_file, worker.stderr_file


def test_an_unknown_transport_is_a_usage_error_naming_the_known_ones(tmp_path: Path) -> None:
    proc, _, stderr = _spawn(tmp_path, "--transport", "carrier-pigeon")
    assert proc.wait(30) == 2
    text = stderr.read_text()
    assert "unknown transport 'carrier-pigeon'" in text and "grpc" in text


def test_the_transport_can_come_from_the_environment(tmp_path: Path) -> None:
    proc, _, stderr = _spawn(tmp_path, env={"SNAKEPIT_TRANSPORT": "nope"})
    assert proc.wait(30) == 2
    assert "unknown transport 'nope'" in stderr.read_text()


def test_sigusr2_prints_every_threads_stack_and_the_worker_keeps_serving(tmp_path: Path) -> None:
    proc, ready, stderr = _spawn(tmp_path)
    try:
        wait_until(lambda: ready.exists() or proc.poll() is not None, 30, "ready file")
        assert proc.poll() is None, stderr.read_text()
        os.kill(proc.pid, signal.SIGUSR2)
        wait_until(lambda: "most recent call first" in stderr.read_text(), 30, "stack dump on stderr")
        assert proc.poll() is None  # a dump, not a crash
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_a_crash_prints_the_python_stack(tmp_path: Path) -> None:
    script = tmp_path / "crash.py"
    script.write_text(
        "import ctypes\n"
        "from snakepit_bridge.worker import lifecycle\n"
        "lifecycle.enable_crash_dumps()\n"
        "def crash_here():\n"
        "    ctypes.string_at(0)\n"
        "crash_here()\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "Fatal Python error" in out.stderr and "crash_here" in out.stderr


def _package_imports(path: Path, module: str, modules: set[str]) -> set[str]:
    """Modules of this package that ``module`` imports, also inside functions (not in TYPE_CHECKING
    blocks); ``from package import submodule`` counts as importing the submodule only."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join([*base, node.module] if node.module else base)
                for alias in node.names:
                    found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def test_no_import_cycles_between_the_packages_modules_even_through_lazy_imports() -> None:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    names = set(modules)
    graph = {name: _package_imports(path, name, names) & names - {name} for name, path in modules.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dependency in sorted(graph[name]):
            if state.get(dependency) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, name, dependency]))
            if dependency not in state:
                visit(dependency, [*path, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
