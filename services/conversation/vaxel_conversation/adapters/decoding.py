"""Requests whose bytes do not parse get INVALID_ARGUMENT naming the field, not INTERNAL.

Protobuf strings are UTF-8 by contract, and the Python runtime refuses to parse a request carrying
invalid UTF-8 in one (``DecodeError``); gRPC would answer that "Exception deserializing request!"
with INTERNAL. The servicers are registered here with a deserializer that hands such a request on as
:class:`Undecodable`, with the path of the offending field (``send.text``, ``attachments[0].name``)
found by walking the wire format; :func:`check` turns it into InvalidArgument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

from vaxel_common.errors import InvalidArgument

__all__ = ["Undecodable", "check", "lenient_register"]


@dataclass(frozen=True, slots=True)
class Undecodable:
    field: str
    reason: str


def check(request: object) -> None:
    """InvalidArgument for a request that did not parse."""
    if isinstance(request, Undecodable):
        raise InvalidArgument(request.field, request.reason)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


_FIXED = {1: 8, 5: 4}  # wire type -> bytes


def bad_field(descriptor: Any, data: bytes, prefix: str = "") -> str | None:
    """The path of the first string field in ``data`` (of message ``descriptor``) that is not UTF-8."""
    pos, seen = 0, dict[int, int]()
    try:
        while pos < len(data):
            tag, pos = _varint(data, pos)
            number, wire = tag >> 3, tag & 7
            if wire == 0:
                _, pos = _varint(data, pos)
                continue
            if wire in _FIXED:
                pos += _FIXED[wire]
                continue
            if wire != 2:
                return None  # groups: no Växel message has them
            size, pos = _varint(data, pos)
            chunk, pos = data[pos : pos + size], pos + size
            found = _bad_chunk(descriptor.fields_by_number.get(number), chunk, prefix, seen)
            if found:
                return found
    except ValueError:
        return None
    return None


def _bad_chunk(fd: FieldDescriptor | None, chunk: bytes, prefix: str, seen: dict[int, int]) -> str | None:
    if fd is None:
        return None
    name = prefix + fd.name
    if _repeated(fd):
        index = seen.get(fd.number, 0)
        seen[fd.number] = index + 1
        name = f"{name}[{index}]"
    if fd.type == FieldDescriptor.TYPE_STRING:
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            return name
    elif fd.type == FieldDescriptor.TYPE_MESSAGE and fd.message_type is not None:
        return bad_field(fd.message_type, chunk, name + ".")
    return None


def _repeated(fd: FieldDescriptor) -> bool:
    return bool(fd.is_repeated)


def _lenient(message_type: type[Message]) -> Callable[[bytes], Message | Undecodable]:
    def deserialize(data: bytes) -> Message | Undecodable:
        try:
            return message_type.FromString(data)
        except DecodeError:
            field = bad_field(message_type.DESCRIPTOR, data)
            if field is not None:
                return Undecodable(field, "not valid UTF-8")
            return Undecodable("request", "not a valid message")

    return deserialize


class _Capture:
    """Stands in for the server while a generated ``add_*_to_server`` registers its handlers."""

    def __init__(self) -> None:
        self.service = ""
        self.handlers: dict[str, Any] = {}

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        pass

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        self.service, self.handlers = service, handlers


def lenient_register(
    register: Callable[[Any, Any], None], requests: dict[str, type[Message]]
) -> Callable[[Any, grpc.aio.Server], None]:
    """A registration like ``register`` (a generated ``add_XServicer_to_server``) whose methods named in
    ``requests`` (method name -> request type) deserialize leniently."""

    def add(servicer: Any, server: grpc.aio.Server) -> None:
        capture = _Capture()
        register(servicer, capture)
        handlers = {
            name: handler._replace(request_deserializer=_lenient(requests[name]))
            if name in requests
            else handler
            for name, handler in capture.handlers.items()
        }
        generic = grpc.method_handlers_generic_handler(capture.service, handlers)
        server.add_generic_rpc_handlers((generic,))
        server.add_registered_method_handlers(capture.service, handlers)  # type: ignore[attr-defined]  # grpc-stubs predate it

    return add
