"""A stand-in for torch in the zygote tests: only ``torch.cuda.is_initialized()``."""

from . import cuda  # noqa: F401
