"""Feeds the compacted tenant-configuration topic into routing's replica."""

from __future__ import annotations

from vaxel.events.v1 import events_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.api_keys import ReplicatedKeys, apply_config_change
from vaxel_routing.adapters.converters import queue_config_from_pb
from vaxel_routing.domain.replica import ConfigReplica
from vaxel_vocabulary.content import FaqEntry
from vaxel_vocabulary.converters import hours_from_pb


class ConfigReplicaHandler:
    """Keeps :class:`ConfigReplica` and, for the routing log, the queue messages themselves."""

    def __init__(self, replica: ConfigReplica, keys: ReplicatedKeys) -> None:
        self._replica = replica
        self._keys = keys
        self.queue_messages: dict[str, tenant_pb2.Queue] = {}

    async def __call__(self, event: events_pb2.Event) -> None:
        apply_config_change(self._keys, event)
        change = event.tenant_config_changed
        match change.entity_type, change.deleted:
            case "queue", True:
                self._replica.remove_queue(change.entity_id, change.version)
            case "queue", False:
                queue = tenant_pb2.Queue()
                change.state.Unpack(queue)
                queue.version = change.version
                if self._replica.apply_queue(queue_config_from_pb(queue)):
                    self.queue_messages[queue.queue_id] = queue
            case "business_hours", False:
                hours = tenant_pb2.BusinessHours()
                change.state.Unpack(hours)
                zone = hours.time_zone or self._zone_of(change.entity_id)
                self._replica.apply_hours(change.entity_id, hours_from_pb(hours, zone), change.version)
            case "call_guidelines", False:
                guidelines = tenant_pb2.CallGuidelines()
                change.state.Unpack(guidelines)
                self._replica.apply_guidelines(change.entity_id, guidelines.text, change.version)
            case "faq_entry", False:
                entry = tenant_pb2.FaqEntry()
                change.state.Unpack(entry)
                self._replica.apply_faq(
                    FaqEntry(
                        entry.faq_id,
                        event.tenant_id,
                        entry.language,
                        entry.question,
                        entry.answer,
                        tuple(entry.keywords),
                    )
                )
            case "faq_entry", True:
                self._replica.remove_faq(change.entity_id)
            case "tenant", False:
                tenant = tenant_pb2.Tenant()
                change.state.Unpack(tenant)
                self._replica.apply_tenant(
                    tenant.tenant_id, tenant.status == tenant_pb2.TENANT_STATUS_SUSPENDED, change.version
                )

    def _zone_of(self, queue_id: str) -> str:
        held = self.queue_messages.get(queue_id)
        return held.time_zone if held is not None and held.time_zone else "UTC"
