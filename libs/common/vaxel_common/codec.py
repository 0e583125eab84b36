"""The protobuf codec of the event envelope for Faust apps.

``faust.Topic(..., value_serializer="vaxel-event")`` (after :func:`register_faust_codec`)
gives agents ``vaxel.events.v1.Event`` messages; undecodable bytes raise
:class:`~vaxel_common.errors.DecodeError`.
"""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs

from vaxel_common.events import decode_event, encode_event

__all__ = ["FAUST_CODEC_NAME", "EventCodec", "register_faust_codec"]

FAUST_CODEC_NAME = "vaxel-event"


class EventCodec(codecs.Codec):  # faust is untyped: Codec is Any
    """Faust codec: ``vaxel.events.v1.Event`` <-> bytes."""

    def _dumps(self, obj: Any) -> bytes:
        return encode_event(obj)

    def _loads(self, s: bytes) -> Any:
        return decode_event(s)


def register_faust_codec() -> None:
    """Make ``value_serializer="vaxel-event"`` available to Faust topics (idempotent)."""
    codecs.register(FAUST_CODEC_NAME, EventCodec())
