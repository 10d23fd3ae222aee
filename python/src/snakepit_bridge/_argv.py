"""Reading a worker's launch command line without argparse, when it holds only the expected flags.

Every worker start pays for argparse otherwise: its import (with gettext and textwrap) and, per
option, a help formatter (which imports shutil and asks the terminal for its size): milliseconds of
a start-up measured in tens of them. The host always launches workers with the same few
``--flag value`` pairs; those are read here. Anything else (``--help``, other flags, a bad value, a
missing required flag) returns None and the caller runs argparse, which says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from types import SimpleNamespace
from typing import Any

__all__ = ["parse_known_flags"]


def parse_known_flags(
    argv: list[str],
    flags: Mapping[str, Callable[[str], Any]],
    defaults: Mapping[str, Any],
    *,
    required: Collection[str] = (),
    repeated: Collection[str] = (),
) -> SimpleNamespace | None:
    """The namespace argparse would give for ``argv``, or None when argparse must look at it.

    ``flags`` maps each flag (``--max-message-size``) to its converter; the attribute is the flag
    without dashes, ``-`` as ``_``. ``repeated`` flags collect their values in a list (argparse's
    ``append``); others keep the last value. ``defaults`` holds every attribute's default.
    """
    values: dict[str, Any] = dict(defaults)
    seen: set[str] = set()
    i = 0
    while i < len(argv):
        flag = argv[i]
        value: str | None
        if "=" in flag:
            flag, value = flag.split("=", 1)
            i += 1
        elif i + 1 < len(argv):
            value = argv[i + 1]
            i += 2
        else:
            return None
        convert = flags.get(flag)
        if convert is None or (value.startswith("-") and value != "-" and not _is_number(value)):
            return None
        try:
            converted = convert(value)
        except ValueError:
            return None
        name = flag[2:].replace("-", "_")
        if flag in repeated:
            values[name] = [*(values.get(name) or ()), converted]  # after the default's items, as argparse
        else:
            values[name] = converted
        seen.add(flag)
    if any(flag not in seen for flag in required):
        return None
    return SimpleNamespace(**values)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
