"""Whether a consumed record may be believed: signed where its topic demands it, from its type's producer.

Each event type has one producing service (:data:`PRODUCERS`, the envelope's ``producer``), and each
topic its writers (``TopicSpec.writers``). A consumer refuses, before its handler sees it, a record

- of a signed topic (``TopicSpec.signed``: the tenant configuration) that is unsigned, signed by a key
  it does not trust, or whose signature does not match (:mod:`vaxel_common.signing`), and
- of a topic written only by the services whose envelope names another producer than the one of its
  event type (a survey answer not from interaction-log, an interaction lifecycle event not from routing).

A refused record is dead-lettered with the reason and counted in ``vaxel_records_refused_total``;
processing goes on. The producer check catches mislabelled records; against someone who can write to
the broker and names the right producer, what holds is the prod overlay's ACLs (one principal per
service, only a topic's writers may write it) and, on the configuration topic, the signature.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka.structs import ConsumerRecord
from google.protobuf.message import Message

from vaxel.events.v1 import events_pb2
from vaxel_common.events import EVENT_TYPES, event_type_of
from vaxel_common.signing import BadSignature, RecordVerifier
from vaxel_common.topics import EXTERNAL, topic_by_name

__all__ = ["PRODUCERS", "REFUSAL_REASONS", "Provenance", "Refused", "producer_of"]

_NOT_ROUTING: Mapping[str, tuple[str, ...]] = {
    "interaction-log": ("survey.sent", "survey.answered", "interaction.erased"),
    "client-tenant": ("tenant.config_changed",),
    "sla": ("service.level_alert",),
    "conversation": ("chat.started", "message.posted"),
}
# event type -> the one service that produces it; routing every interaction and agent event but these.
PRODUCERS: Mapping[str, str] = {
    event_type: next((s for s, types in _NOT_ROUTING.items() if event_type in types), "routing")
    for event_type in EVENT_TYPES
}


def producer_of(payload: object) -> str:
    """The service that produces events carrying ``payload`` (what their envelope's producer says)."""
    if not isinstance(payload, Message):
        raise TypeError(f"{type(payload).__name__} is not an event payload")
    return PRODUCERS[event_type_of(payload)]


_SHOWN = 64  # characters of a claimed producer kept in a reason (never unbounded input)

REFUSAL_REASONS = ("unsigned", "unknown_key", "bad_signature", "no_verify_key", "wrong_producer")
"""Every ``reason`` a record is refused for (the label values of ``vaxel_records_refused_total``)."""


class Refused(Exception):  # noqa: N818  (an outcome of checking a record)
    """A record not to be applied; ``reason`` is a metric label from a small set."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class Provenance:
    """The checks of one service's consumers; ``verifier`` None: the service reads no signed topic."""

    def __init__(self, verifier: RecordVerifier | None) -> None:
        self._verifier = verifier

    def check_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """The signature, on a signed topic, before the value is decoded."""
        spec = topic_by_name(record.topic)
        if spec is None or not spec.signed:
            return
        if self._verifier is None:
            raise Refused("no_verify_key", "no config verify key configured")
        try:
            self._verifier.verify(record.topic, record.key, record.value or b"", record.headers or ())
        except BadSignature as exc:
            raise Refused(exc.reason, str(exc)) from None

    def check_event(self, topic: str, event: events_pb2.Event) -> None:
        """The envelope's producer against the event type's producer and the topic's writers."""
        spec = topic_by_name(topic)
        if spec is None or not spec.writers or EXTERNAL in spec.writers:
            return
        owner = PRODUCERS.get(event.event_type)
        if owner is None or owner not in spec.writers:
            raise Refused("wrong_producer", f"{event.event_type} does not belong on {topic}")
        if event.producer != owner:
            claimed = event.producer[:_SHOWN]
            raise Refused("wrong_producer", f"{event.event_type} comes from {owner}, not {claimed!r}")
