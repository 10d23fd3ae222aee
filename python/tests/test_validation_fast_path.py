"""The argument fast path (``_passes_unchanged``) never vouches for a value the full check would change or refuse.

Invariant: whenever a parameter's predicate is true for a value, ``_check(value, annotation)`` returns an equal
value of the same type (and does not raise). A bool is never an int or a float, and None passes only Optional.
"""

from __future__ import annotations

import collections.abc as cabc
import gc
import typing
from typing import Annotated, Any, Literal, Optional, Union

import pytest

from snakepit_bridge.errors import InvalidArgumentsError
from snakepit_bridge.tools.introspection import describe_tool
from snakepit_bridge.tools.validation import _check, _Mismatch, _passes_unchanged, bind_arguments


class Point:
    """A plain (not pydantic) class: JSON cannot produce one, so the full check passes values through."""

    def __init__(self, x: int = 0) -> None:
        self.x = x


ANNOTATIONS: list[Any] = [
    Any,
    object,
    int,
    float,
    str,
    bool,
    list[float],
    list[int],
    list[str],
    list[bool],
    list[Any],
    list,
    typing.List[int],  # noqa: UP006 - the typing alias must behave like list[int]
    cabc.Sequence[float],
    cabc.Iterable[str],
    dict,
    dict[str, Any],
    dict[Any, Any],
    dict[str, int],
    cabc.Mapping[str, Any],
    Optional[int],  # noqa: UP045 - the typing spelling must behave like int | None
    int | None,
    float | None,
    Optional[list[float]],  # noqa: UP045
    dict[str, Any] | None,
    Union[int, str],  # noqa: UP007
    Literal["a", "b"],
    Literal[1, 2],
    tuple[int, ...],
    tuple[int, str],
    set[int],
    bytes,
    bytearray,
    Point,
    Annotated[int, "meta"],
    Annotated[list[float], "meta"],
]

VALUES: list[Any] = [
    0,
    7,
    -(10**30),
    1.5,
    float("inf"),
    True,
    False,
    None,
    "",
    "a",
    "héllo",
    [],
    [1, 2],
    [1.0, 2],
    [1.0, True],
    [True, False],
    [1, None],
    ["x", "y"],
    ["x", 1],
    [[1], [2]],
    {},
    {"k": 1},
    {"k": "v"},
    {"k": [1.0]},
    {1: "int key"},
    {"a": 1, 2: "b"},
    (1, 2),
    b"raw",
    Point(),
]

# Annotations for which a cheap predicate must exist (the common JSON shapes).
FAST: list[Any] = [
    Any,
    int,
    float,
    str,
    bool,
    list[float],
    list[int],
    list[str],
    list[Any],
    list,
    dict,
    dict[str, Any],
    Optional[int],  # noqa: UP045
    int | None,
    Annotated[int, "meta"],
]

# Annotations whose values the full check converts or compares: no predicate.
SLOW: list[Any] = [dict[str, int], Literal["a", "b"], Literal[1, 2], Union[int, str]]  # noqa: UP007


def _id(obj: Any) -> str:
    return obj.__name__ if isinstance(obj, type) else repr(obj)[:40]


@pytest.mark.parametrize("annotation", ANNOTATIONS, ids=_id)
@pytest.mark.parametrize("value", VALUES, ids=_id)
def test_a_value_the_predicate_vouches_for_is_returned_unchanged_by_the_full_check(annotation: Any, value: Any) -> None:
    passes = _passes_unchanged(annotation)
    if passes is None or not passes(value):
        return
    try:
        checked = _check(value, annotation)
    except _Mismatch as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"fast path passed {value!r} for {annotation!r}, the full check refuses it ({exc.where})")
    assert checked == value
    assert type(checked) is type(value)


@pytest.mark.parametrize("annotation", FAST, ids=_id)
def test_the_common_annotations_have_a_fast_path(annotation: Any) -> None:
    assert _passes_unchanged(annotation) is not None


@pytest.mark.parametrize("annotation", SLOW, ids=_id)
def test_annotations_whose_values_need_converting_or_comparing_have_no_fast_path(annotation: Any) -> None:
    assert _passes_unchanged(annotation) is None


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (int, 1),
        (float, 1),
        (float, 1.0),
        (str, "s"),
        (bool, True),
        (list[float], [1.0, 2]),
        (list[int], [1, 2]),
        (list[str], ["a"]),
        (list[Any], [1, "a", None]),
        (list, [1, "a"]),
        (dict, {"a": 1}),
        (dict[str, Any], {"a": [1]}),
        (Optional[int], None),  # noqa: UP045
        (Optional[int], 3),  # noqa: UP045
        (int | None, None),
        (int | None, 3),
        (Any, Point()),
    ],
    ids=_id,
)
def test_the_fast_path_takes_the_values_json_produces(annotation: Any, value: Any) -> None:
    passes = _passes_unchanged(annotation)
    assert passes is not None
    assert passes(value)


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (int, True),
        (int, False),
        (float, True),
        (list[int], [True]),
        (list[int], [1, True]),
        (list[float], [1.0, True]),
        (list[float], [True]),
        (int | None, True),
        (Optional[int], False),  # noqa: UP045
    ],
    ids=_id,
)
def test_a_bool_never_passes_as_a_number(annotation: Any, value: Any) -> None:
    passes = _passes_unchanged(annotation)
    assert passes is not None
    assert not passes(value)
    with pytest.raises(_Mismatch):
        _check(value, annotation)


@pytest.mark.parametrize("annotation", [int, float, str, bool, list[float], list, dict, dict[str, Any], Any], ids=_id)
def test_none_passes_only_optional(annotation: Any) -> None:
    passes = _passes_unchanged(annotation)
    assert passes is not None
    if annotation is Any:
        assert passes(None)  # Any takes everything, as the full check does
        return
    assert not passes(None)
    optional = _passes_unchanged(Optional[annotation])  # noqa: UP045
    assert optional is not None and optional(None)


def test_a_dict_with_a_non_string_key_fails_the_string_keyed_fast_path() -> None:
    passes = _passes_unchanged(dict[str, Any])
    assert passes is not None
    assert not passes({1: "x"})
    assert not passes({"a": 1, 2: "b"})
    assert passes({"a": 1, "b": [2]})
    with pytest.raises(_Mismatch):
        _check({1: "x"}, dict[str, Any])


def test_a_list_annotation_does_not_vouch_for_a_tuple_or_a_set() -> None:
    for annotation in (list[int], list[Any], list, cabc.Sequence[int]):
        passes = _passes_unchanged(annotation)
        assert passes is not None
        assert not passes((1, 2))
        assert not passes({1, 2})


# ---------------------------------------------------------------------------------------------
# bind_arguments, end to end: the fast path, warmed up, still lets the full check refuse bad values
# ---------------------------------------------------------------------------------------------


def scale(values: list[float], factor: int, label: str | None = None, options: dict[str, Any] | None = None) -> float:
    """Scale numbers.

    Args:
        values: the numbers.
        factor: the multiplier.
        label: an optional name.
        options: anything else.
    """
    return sum(values) * factor


def _warmed() -> Any:
    info = describe_tool(scale)
    for _ in range(5):
        good = {"values": [1.0, 2], "factor": 3, "label": None, "options": {"k": [1]}}
        assert bind_arguments(info, good, None) == good
        assert bind_arguments(info, {"values": [], "factor": -1, "label": "x"}, None) == {
            "values": [],
            "factor": -1,
            "label": "x",
        }
    return info


@pytest.mark.parametrize(
    ("arguments", "parameter", "received"),
    [
        ({"values": [1.0], "factor": True}, "factor", "bool"),
        ({"values": [1.0], "factor": 1.5}, "factor", "float"),
        ({"values": [1.0], "factor": "3"}, "factor", "str"),
        ({"values": [1.0], "factor": None}, "factor", "None"),
        ({"values": [1.0, True], "factor": 1}, "values", "bool"),
        ({"values": [1.0, "2"], "factor": 1}, "values", "str"),
        ({"values": [1.0], "factor": 1, "label": 5}, "label", "int"),
        # received: None, because for a bad key it names the type of the key's value (older than the fast path)
        ({"values": [1.0], "factor": 1, "options": {1: "x"}}, "options", None),
        ({"values": [1.0], "factor": 1, "options": []}, "options", "list"),
    ],
)
def test_a_wrong_type_still_raises_naming_the_parameter_after_good_calls(
    arguments: dict[str, Any], parameter: str, received: str | None
) -> None:
    info = _warmed()

    with pytest.raises(InvalidArgumentsError) as caught:
        bind_arguments(info, arguments, None)

    assert caught.value.parameter == parameter
    assert caught.value.problem == "type"
    if received is not None:
        assert caught.value.received == received
    assert f"'{parameter}" in str(caught.value)


def test_unexpected_and_missing_arguments_still_raise_after_good_calls() -> None:
    info = _warmed()

    with pytest.raises(InvalidArgumentsError) as unexpected:
        bind_arguments(info, {"values": [1.0], "factor": 1, "extra": 1}, None)
    assert (unexpected.value.parameter, unexpected.value.problem) == ("extra", "unexpected")

    with pytest.raises(InvalidArgumentsError) as missing:
        bind_arguments(info, {"values": [1.0]}, None)
    assert (missing.value.parameter, missing.value.problem) == ("factor", "missing")


def test_values_the_fast_path_does_not_vouch_for_still_take_the_full_check() -> None:
    info = _warmed()

    # A tuple is no JSON list, so the fast path leaves it to the full check, which converts it.
    bound = bind_arguments(info, {"values": (1.0, 2), "factor": 1}, None)
    assert bound == {"values": [1.0, 2], "factor": 1}
    assert type(bound["values"]) is list


def test_each_tool_keeps_its_own_fast_checks_even_when_described_afresh_per_call() -> None:
    def as_int(x: int) -> int:
        return x

    def as_str(x: str) -> str:
        return x

    for _ in range(50):  # fresh ToolInfo objects, freed in between: a reused id must not reuse the checks
        assert bind_arguments(describe_tool(as_int), {"x": 1}, None) == {"x": 1}
        gc.collect()
        with pytest.raises(InvalidArgumentsError) as caught:
            bind_arguments(describe_tool(as_str), {"x": 1}, None)
        assert caught.value.parameter == "x"
        gc.collect()
