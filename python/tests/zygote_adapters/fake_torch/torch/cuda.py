"""The stand-in's CUDA module: reports an initialised CUDA context."""


def is_initialized() -> bool:
    return True
