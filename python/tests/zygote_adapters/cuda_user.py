"""A test adapter importing a stand-in ``torch`` whose CUDA reports initialised."""

from __future__ import annotations

import torch  # noqa: F401  (the stand-in in fake_torch/)

from snakepit_bridge import BaseAdapter


class CudaAdapter(BaseAdapter):
    pass
