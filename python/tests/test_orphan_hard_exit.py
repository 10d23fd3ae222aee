"""A worker whose parent died exits even when its graceful stop hangs (nobody is left to SIGKILL it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

CHILD = """
import signal, sys, time
from snakepit_bridge.worker.lifecycle import ParentPidWatch
import os
signal.signal(signal.SIGTERM, lambda *_: None)  # a graceful stop that never finishes
ParentPidWatch(os.getppid(), interval_s=0.02, hard_exit_s=0.2).start()
print(os.getpid(), flush=True)
while True:
    time.sleep(1)
"""

PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True)
print(child.stdout.readline().strip(), flush=True)
"""  # then the parent exits without waiting: the child is orphaned


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", "rb") as stat:  # an exited child not reaped yet counts as gone
        return stat.read().split(b")")[-1].split()[0] != b"Z"


def test_an_orphan_whose_stop_hangs_exits_after_the_hard_exit_delay() -> None:
    out = subprocess.run([sys.executable, "-c", PARENT, CHILD], capture_output=True, text=True, check=True, timeout=60)
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)  # polling a condition with a bound (the process is not ours to wait on)
    alive = _alive(pid)
    if alive:
        os.kill(pid, 9)
    assert not alive, "the orphan ignored its hard exit"
