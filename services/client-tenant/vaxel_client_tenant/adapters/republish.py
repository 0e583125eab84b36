"""At start, the configuration topic brought back into agreement with the store.

The embedded broker keeps its topics in memory: when it restarts (or a topic is lost or recreated in
production), routing, interaction-log and SLA start from an empty configuration topic and refuse
tenants, keys and queues that client-tenant knows. So before it serves, client-tenant reads the whole
topic (``vaxel_common.kafka.read_whole``) and republishes, signed as every configuration record is,
the last change of every entity in its outbox whose event is not the last genuine record of that
entity's key on the topic. The events are the ones published before (same ids, same versions), so a
replica that still has them applies nothing twice; a topic that lost nothing gets nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import ConsumerRecord

from vaxel_client_tenant.adapters.outbox import ConfigOutbox
from vaxel_client_tenant.metrics import ClientTenantMetrics
from vaxel_common.errors import DecodeError
from vaxel_common.events import decode_event
from vaxel_common.logging import get_logger
from vaxel_common.publisher import EventPublisher, key_of
from vaxel_common.signing import BadSignature, RecordVerifier
from vaxel_common.topics import TENANT_CONFIG

__all__ = ["ConfigRepublisher"]

BATCH = 500

ReadTopic = Callable[[], Awaitable[list[ConsumerRecord[bytes, bytes]]]]


class ConfigRepublisher:
    def __init__(
        self,
        outbox: ConfigOutbox,
        publisher: EventPublisher,
        read_topic: ReadTopic,
        verifier: RecordVerifier,
        metrics: ClientTenantMetrics,
    ) -> None:
        """``read_topic`` gives every record of the configuration topic; ``verifier`` knows this
        service's own signing key (a record it cannot verify is not taken as present)."""
        self._outbox = outbox
        self._publisher = publisher
        self._read_topic = read_topic
        self._verifier = verifier
        self._metrics = metrics
        self._log = get_logger("vaxel.client-tenant.republish")

    async def run(self) -> None:
        """Republish what the topic lacks (counted in ``republished``)."""
        on_topic: dict[bytes, str] = {}  # record key -> the event id of its last genuine record
        for record in await self._read_topic():
            if record.key is None or record.value is None:
                continue
            try:
                self._verifier.verify(TENANT_CONFIG.name, record.key, record.value, record.headers)
                on_topic[record.key] = decode_event(record.value).event_id
            except (BadSignature, DecodeError):
                continue  # not ours (forged, or garbage): the entity counts as missing
        stored = self._outbox.latest_published()
        missing = [e for e in stored if on_topic.get(key_of(TENANT_CONFIG, e)) != e.event_id]
        for start in range(0, len(missing), BATCH):
            await self._publisher.publish(TENANT_CONFIG, *missing[start : start + BATCH])
            self._metrics.republished.inc(len(missing[start : start + BATCH]))
        self._log.info(
            "config_topic_checked", entities=len(stored), on_topic=len(on_topic), republished=len(missing)
        )
