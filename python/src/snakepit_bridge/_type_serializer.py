"""``TypeSerializer``: Snakepit's typed value encoding (``float``, ``integer``, ``string``, ``boolean``,
``choice``, ``module``, ``embedding``, ``tensor``) into ``Any`` plus optional binary data."""

from __future__ import annotations

import json
import math
import pickle
from typing import Any

from ._graceful import GracefulJSONEncoder
from .zero_copy import ZERO_COPY_MARKER, ZeroCopyRef

__all__ = ["TypeSerializer"]

_TYPE_PREFIX = "type.googleapis.com/snakepit."
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _is_ndarray(value: Any) -> bool:
    np = _numpy() if type(value).__module__.startswith("numpy") else None
    return np is not None and isinstance(value, np.ndarray)


def _any(type_url: str, payload: bytes) -> Any:
    from google.protobuf import any_pb2

    return any_pb2.Any(type_url=type_url, value=payload)


class TypeSerializer:
    """Encode and decode typed values the way Snakepit's bridge does (JSON in ``Any``, large
    tensors and embeddings as pickled binary data)."""

    @staticmethod
    def encode_any(value: Any, var_type: str) -> tuple[Any, bytes | None]:
        """``(Any, binary or None)`` for ``value`` of type ``var_type``."""
        normalized = TypeSerializer._normalize_value(value, var_type)
        if TypeSerializer._should_use_binary(normalized, var_type):
            return TypeSerializer._encode_with_binary(normalized, var_type)
        return _any(_TYPE_PREFIX + var_type, TypeSerializer._serialize_value(normalized, var_type)), None

    @staticmethod
    def decode_any(any_msg: Any, binary_data: bytes | None = None) -> Any:
        """The Python value of ``any_msg`` (with its binary data for ``.binary`` types)."""
        if any_msg.type_url.endswith(".binary") and binary_data is not None:
            return TypeSerializer._decode_with_binary(any_msg, binary_data)
        var_type = any_msg.type_url.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
        value = TypeSerializer._deserialize_json(any_msg.value)
        value = TypeSerializer._deserialize_value(value, var_type)
        if isinstance(value, dict) and value.get(ZERO_COPY_MARKER):
            return ZeroCopyRef.from_payload(value)
        return value

    # -- values ------------------------------------------------------------------------------

    @staticmethod
    def _normalize_value(value: Any, var_type: str) -> Any:
        if isinstance(value, ZeroCopyRef):
            return value.to_payload()
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if var_type == "float":
            if is_number:
                return float(value)
            raise ValueError(f"Expected number, got {type(value)}")
        if var_type == "integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ValueError(f"Expected integer, got {value}")
        if var_type in ("string", "choice", "module"):
            return str(value)
        if var_type == "boolean":
            if isinstance(value, bool):
                return value
            raise ValueError(f"Expected boolean, got {type(value)}")
        if var_type == "embedding":
            if _is_ndarray(value):
                return value.tolist()
            if isinstance(value, list):
                return [float(x) for x in value]
            raise ValueError(f"Expected array/list, got {type(value)}")
        if var_type == "tensor":
            if _is_ndarray(value):
                return {"shape": list(value.shape), "data": value.tolist()}
            if isinstance(value, dict) and "shape" in value and "data" in value:
                return value
            raise ValueError(f"Expected tensor, got {type(value)}")
        return value

    @staticmethod
    def _serialize_value(value: Any, var_type: str) -> bytes:
        if var_type == "float" and isinstance(value, float) and not math.isfinite(value):
            value = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return json.dumps(value, cls=GracefulJSONEncoder).encode("utf-8")

    @staticmethod
    def _deserialize_json(payload: str | bytes | bytearray) -> Any:
        return json.loads(payload)

    @staticmethod
    def _deserialize_value(value: Any, var_type: str) -> Any:
        if var_type == "float":
            return _SPECIAL_FLOATS[value] if isinstance(value, str) and value in _SPECIAL_FLOATS else float(value)
        if var_type == "integer":
            return int(value)
        if var_type == "tensor" and isinstance(value, dict) and "data" in value and "shape" in value:
            np = _numpy()
            return np.array(value["data"]).reshape(value["shape"]) if np is not None else value
        return value

    @staticmethod
    def validate_constraints(value: Any, var_type: str, constraints: dict[str, Any]) -> None:
        """Raise ``ValueError`` when ``value`` breaks ``constraints`` (min/max, lengths, choices, shape...)."""
        if var_type in ("float", "integer"):
            low, high = constraints.get("min"), constraints.get("max")
            if low is not None and value < low:
                raise ValueError(f"Value {value} is below minimum {low}")
            if high is not None and value > high:
                raise ValueError(f"Value {value} is above maximum {high}")
        elif var_type == "string":
            length = len(value)
            shortest, longest = constraints.get("min_length", 0), constraints.get("max_length")
            if length < shortest:
                raise ValueError(f"String too short: {length} < {shortest}")
            if longest and length > longest:
                raise ValueError(f"String too long: {length} > {longest}")
        elif var_type in ("choice", "module"):
            key = "choices" if var_type == "choice" else "allowed_modules"
            allowed = constraints.get(key) or []
            if allowed and value not in allowed:
                what = "Value" if var_type == "choice" else "Module"
                raise ValueError(f"{what} {value} not in allowed {key.replace('_', ' ')}: {allowed}")
        elif var_type == "embedding":
            dimensions = constraints.get("dimensions")
            if dimensions and len(value) != dimensions:
                raise ValueError(f"Wrong dimensions: {len(value)} != {dimensions}")
        elif var_type == "tensor":
            expected = constraints.get("shape")
            actual = value.get("shape") if isinstance(value, dict) else list(getattr(value, "shape", []))
            if expected and actual != expected:
                raise ValueError(f"Wrong shape: {actual} != {expected}")

    # -- binary form -------------------------------------------------------------------------

    @staticmethod
    def _should_use_binary(value: Any, var_type: str) -> bool:
        data = value.get("data") if var_type == "tensor" and isinstance(value, dict) else value
        if var_type not in ("tensor", "embedding") or not isinstance(data, list):
            return False
        return len(data) * 8 > BINARY_THRESHOLD_BYTES

    @staticmethod
    def _encode_with_binary(value: Any, var_type: str) -> tuple[Any, bytes]:
        if var_type == "tensor":
            shape, data = value.get("shape", []), value.get("data", [])
        elif var_type == "embedding":
            shape, data = [len(value)], value
        else:
            raise ValueError(f"Binary encoding not supported for type: {var_type}")
        header = {"shape": shape, "dtype": "float32", "binary_format": "pickle", "type": var_type}
        message = _any(f"{_TYPE_PREFIX}{var_type}.binary", TypeSerializer._serialize_value(header, "string"))
        return message, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def _decode_with_binary(any_msg: Any, binary_data: bytes) -> Any:
        var_type = any_msg.type_url.split(".")[-2]
        header = TypeSerializer._deserialize_json(any_msg.value)
        data = pickle.loads(binary_data)  # Snakepit's binary form; only for values the host sent
        if var_type == "tensor":
            return {"shape": header.get("shape", []), "data": data}
        if var_type == "embedding":
            return data
        raise ValueError(f"Binary decoding not supported for type: {var_type}")


BINARY_THRESHOLD_BYTES = 10_240
