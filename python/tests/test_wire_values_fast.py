"""``wire.values.to_json``: the fast paths for int, str and None write exactly what the shared encoder writes."""

from __future__ import annotations

import enum
import json
import sys
from typing import Any

import pytest

from snakepit_bridge.errors import SerializationError
from snakepit_bridge.wire.values import _ENCODER, to_json


class Colour(enum.IntEnum):
    RED = 1


class Name(str):
    pass


def _id(value: Any) -> str:
    return type(value).__name__ + ":" + ascii(value)[:30]


FAST_PATH_VALUES: list[Any] = [
    0,
    1,
    -1,
    42,
    2**31,
    2**63,
    -(2**63) - 1,
    2**64 + 1,
    10**300,
    -(10**1000),
    10**4000,  # under Python's 4300-digit limit for int -> str
    None,
    "",
    "plain",
    'quote " and backslash \\',
    "tab\tnewline\nreturn\rnul\x00bell\x07",
    "\x7f delete",
    "/ slash",
    "héllo",
    "日本語",
    "emoji \U0001f40d outside the BMP",
    "line separators \u2028\u2029",
    "lone surrogate \ud800",
    "x" * 10_000,
]

OTHER_VALUES: list[Any] = [
    True,
    False,
    1.5,
    float("nan"),
    float("inf"),
    Colour.RED,
    Name("subclass of str"),
    [1, "a", None],
    {"k": "日本"},
]


@pytest.mark.parametrize("value", FAST_PATH_VALUES + OTHER_VALUES, ids=_id)
def test_to_json_writes_what_the_encoder_writes(value: Any) -> None:
    assert to_json(value) == _ENCODER.encode(value)


@pytest.mark.parametrize("value", FAST_PATH_VALUES, ids=_id)
def test_fast_path_values_read_back_as_themselves(value: Any) -> None:
    assert json.loads(to_json(value)) == value


def test_a_bool_is_not_written_as_an_int() -> None:
    assert to_json(True) == "true"
    assert to_json(False) == "false"


def test_non_ascii_strings_are_escaped_as_the_encoder_does() -> None:
    assert to_json("é") == '"\\u00e9"'
    assert to_json("\U0001f40d") == '"\\ud83d\\udc0d"'
    assert to_json(None) == "null"


def test_an_int_too_long_to_write_is_a_serialization_error() -> None:
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if not limit:
        pytest.skip("this Python has no int -> str digit limit")
    with pytest.raises(SerializationError, match="int"):
        to_json(10 ** (limit + 1))
