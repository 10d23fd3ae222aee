"""Is it safe to fork this process? One reason when it is not, ``None`` when it is.

``fork()`` copies only the calling thread: a lock held by another thread stays locked forever in
the child, and libraries that keep per-process state in threads (gRPC's core, CUDA, OpenMP pools)
break in ways that show up much later. So the template forks only when it is alone.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["GrpcWatch", "fork_unsafe_reason", "native_threads"]

# Thread names (/proc/<pid>/task/<tid>/comm, 15 characters at most) that gRPC's core starts when a
# channel or a server is created.
_GRPC_THREADS = ("grpc_global_tim", "event_engine", "default-executo", "resolver-execut", "grpc_")


def native_threads(task_dir: str = "/proc/self/task") -> list[str] | None:
    """The names of every OS thread of this process (Python and native), or ``None`` without /proc."""
    try:
        tids = os.listdir(task_dir)
    except OSError:
        return None
    names = []
    for tid in sorted(tids, key=lambda t: int(t) if t.isdigit() else 0):
        try:
            with open(os.path.join(task_dir, tid, "comm"), encoding="utf-8", errors="replace") as handle:
                names.append(handle.read().strip())
        except OSError:
            continue  # that thread ended meanwhile
    return names


class GrpcWatch:
    """Notes gRPC channels and servers created while it is active (``with GrpcWatch() as watch``).

    Wraps the constructors of an already imported ``grpc`` and puts them back on exit, so forked
    workers use the originals. Their threads would tell too, but those start asynchronously.
    """

    _NAMES = ("insecure_channel", "secure_channel", "server")

    def __init__(self) -> None:
        self.created: list[str] = []
        self._originals: list[tuple[object, str, object]] = []

    def __enter__(self) -> GrpcWatch:
        grpc = sys.modules.get("grpc")
        if grpc is None:
            return self
        for owner, prefix in ((grpc, "grpc."), (getattr(grpc, "aio", None), "grpc.aio.")):
            for name in self._NAMES:
                original = getattr(owner, name, None) if owner is not None else None
                if callable(original):
                    self._originals.append((owner, name, original))
                    setattr(owner, name, self._recording(prefix + name, original))
        return self

    def _recording(self, label: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def create(*args: Any, **kwargs: Any) -> Any:
            self.created.append(label)
            return original(*args, **kwargs)

        return create

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._originals):
            setattr(owner, name, original)
        self._originals.clear()


def _cuda_reason(modules: Mapping[str, object]) -> str | None:
    torch = modules.get("torch")
    cuda = getattr(torch, "cuda", None) if torch is not None else None
    is_initialized = getattr(cuda, "is_initialized", None)
    if callable(is_initialized):
        try:
            if is_initialized():
                return "CUDA is initialised in the template (torch.cuda.is_initialized())"
        except Exception:  # a broken torch install: say nothing about CUDA
            return None
    return None


def fork_unsafe_reason(
    platform: str | None = None,
    modules: Mapping[str, object] | None = None,
    threads: list[str] | None = None,
    grpc_created: list[str] | None = None,
) -> str | None:
    """Why forking this process now is unsafe, or ``None`` when it is safe.

    The checks, in order: the platform (only Linux forks; macOS system frameworks are not
    fork-safe), CUDA initialised, gRPC channels or servers created (as a ``GrpcWatch`` saw, or
    their core threads are running), any other thread alive. The arguments exist for tests; by default the live process
    is inspected.
    """
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        kind = "macOS" if platform == "darwin" else platform
        return f"fork is only used on Linux ({kind}: its system libraries are not fork-safe)"
    modules = sys.modules if modules is None else modules
    cuda = _cuda_reason(modules)
    if cuda is not None:
        return cuda
    if grpc_created:
        return f"a gRPC channel or server was created in the template ({', '.join(sorted(set(grpc_created)))})"
    if threads is None:
        threads = native_threads()
        if threads is None:  # no /proc: only the Python threads are visible
            threads = [t.name for t in threading.enumerate()]
    others = threads[1:]
    if not others:
        return None
    if "grpc" in modules and any(name.startswith(_GRPC_THREADS) for name in others):
        return (
            "a gRPC channel or server was created in the template (its threads are running: "
            + ", ".join(sorted(set(others)))
            + ")"
        )
    named = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    hint = ""
    if len(others) > len(named):
        hint = (
            "; native threads of an extension (a BLAS or OpenMP pool?): set OMP_NUM_THREADS=1 and"
            " OPENBLAS_NUM_THREADS=1 in the worker environment"
        )
    return (
        f"{len(others)} other thread(s) alive in the template at fork time ("
        + ", ".join(sorted(set(others) | set(named)))
        + "); an import or the preload hook started them"
        + hint
    )
