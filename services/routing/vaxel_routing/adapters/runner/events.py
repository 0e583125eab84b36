"""The events of applied inputs: one ``vaxel.events.v1.Event`` per engine notice, with ids and times a
replay reproduces, published to the interaction or agent topic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeAlias

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import inputs_pb2
from vaxel_common.events import PROVIDER_TENANT_ID, deterministic_id, new_event
from vaxel_common.progress import ProgressMonitor
from vaxel_common.publisher import EventPublisher
from vaxel_common.topics import AGENT_EVENTS, INTERACTION_EVENTS
from vaxel_routing import SERVICE_NAME
from vaxel_routing.adapters.converters import notice_payload
from vaxel_routing.adapters.personal import PersonalData
from vaxel_routing.adapters.runner.consumer import CONSUMER
from vaxel_routing.domain import notices as n
from vaxel_routing.domain.commands import Notice

__all__ = ["TopicEvent", "notice_event", "publish_events"]

TopicEvent: TypeAlias = tuple[str, events_pb2.Event]


def notice_event(
    record: inputs_pb2.RoutingInput, index: int, notice: Notice, decided_at: float, personal: PersonalData
) -> TopicEvent:
    """The event of the ``index``-th notice of applying ``record``, and the topic it goes to.

    ``decided_at`` is the engine's time when it applied the record (the latest record time of the
    pool, never going back), not the record's own: events of one interaction never go back in time
    (connected after offered after created, ended after connected) even when a record written
    earlier reaches the log after a later one. A replay stamps the same times. Personal fields are
    sealed (:mod:`vaxel_routing.adapters.personal`)."""
    if isinstance(notice, n.InteractionCreated):
        event_id = deterministic_id(notice.interaction_id, "created")
    else:
        event_id = deterministic_id(record.input_id, str(index))
    payload = notice_payload(notice, record)
    personal.seal_event(notice.tenant_id, notice.interaction_id, payload, record)
    event = new_event(
        payload,
        tenant_id=notice.tenant_id or PROVIDER_TENANT_ID,
        producer=SERVICE_NAME,
        interaction_id=notice.interaction_id,
        agent_id=notice.agent_id,
        event_id=event_id,
        correlation_id=record.input_id,
        # The events of one decision happen at one instant; a microsecond per step keeps their
        # order for every consumer that orders by time.
        occurred_at=datetime.fromtimestamp(decided_at, UTC) + timedelta(microseconds=index),
    )
    topic = INTERACTION_EVENTS.name if notice.interaction_id else AGENT_EVENTS.name
    return topic, event


async def publish_events(
    publisher: EventPublisher, progress: ProgressMonitor, events: list[TopicEvent]
) -> None:
    """Publish ``events`` and wait for the broker's acknowledgements."""
    interaction = [e for t, e in events if t == INTERACTION_EVENTS.name]
    agent = [e for t, e in events if t == AGENT_EVENTS.name]

    async def publish() -> None:
        # Both topics' records go out together (one produce request), then wait for the acks.
        await publisher.publish_batches((INTERACTION_EVENTS, interaction), (AGENT_EVENTS, agent))

    # Kept uncommitted and tried again until the broker takes it: nothing is skipped; a failure
    # that lasts reports the engine stalled (health NOT_SERVING).
    await progress.until_done(CONSUMER, publish)
