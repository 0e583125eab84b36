"""The topic registry and the keys each topic's contract asks for."""

from __future__ import annotations

import pytest

from vaxel.events.v1 import events_pb2
from vaxel_common.events import new_event
from vaxel_common.publisher import key_of
from vaxel_common.topics import AGENT_EVENTS, ALL_TOPICS, INTERACTION_EVENTS, TENANT_CONFIG, topic_names


class TestRegistry:
    def test_names_are_unique_and_versioned(self) -> None:
        names = topic_names()
        assert len(names) == len(set(names))
        assert all(n.startswith("vaxel.") and n.endswith(".v1") for n in names)

    def test_config_topic_is_compacted(self) -> None:
        assert TENANT_CONFIG.config == {"cleanup.policy": "compact"}
        assert all(t.config["cleanup.policy"] == "delete" for t in ALL_TOPICS if t is not TENANT_CONFIG)


class TestKeys:
    def test_interaction_events_keyed_by_interaction(self) -> None:
        event = new_event(events_pb2.InteractionEnded(), tenant_id="t", producer="p", interaction_id="i9")
        assert key_of(INTERACTION_EVENTS, event) == b"i9"

    def test_agent_events_keyed_by_agent(self) -> None:
        event = new_event(events_pb2.AgentLoggedIn(), tenant_id="t", producer="p", agent_id="a7")
        assert key_of(AGENT_EVENTS, event) == b"a7"

    def test_config_keyed_by_entity_type_and_id(self) -> None:
        # A queue, its business hours and its guidelines share the queue's id; compaction keeps one
        # record per key, so each needs a key of its own.
        keys = {
            key_of(
                TENANT_CONFIG,
                new_event(
                    events_pb2.TenantConfigChanged(entity_type=kind, entity_id="q3"),
                    tenant_id="t",
                    producer="p",
                ),
            )
            for kind in ("queue", "business_hours", "call_guidelines")
        }
        assert keys == {b"queue/q3", b"business_hours/q3", b"call_guidelines/q3"}

    def test_config_without_entity_is_refused(self) -> None:
        event = new_event(events_pb2.TenantConfigChanged(entity_type="queue"), tenant_id="t", producer="p")
        with pytest.raises(ValueError, match="entity_type/entity_id"):
            key_of(TENANT_CONFIG, event)

    def test_missing_key_is_refused(self) -> None:
        event = new_event(events_pb2.InteractionEnded(), tenant_id="t", producer="p")
        with pytest.raises(ValueError, match="interaction_id"):
            key_of(INTERACTION_EVENTS, event)
