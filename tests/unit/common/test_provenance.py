"""Every event type has one producer, and it is among the writers of the topics that carry it."""

from __future__ import annotations

import pytest

from vaxel.events.v1 import events_pb2
from vaxel_common.errors import ConfigurationError
from vaxel_common.events import EVENT_TYPES, new_event
from vaxel_common.provenance import PRODUCERS, Provenance, Refused, producer_of
from vaxel_common.service import ServiceRuntime
from vaxel_common.settings import ServiceSettings
from vaxel_common.topics import AGENT_EVENTS, INTERACTION_EVENTS, SLA_ALERTS, TENANT_CONFIG, TopicSpec


class TestProducers:
    def test_every_event_type_has_a_producer(self) -> None:
        assert set(PRODUCERS) == set(EVENT_TYPES)

    def test_survey_answers_come_from_interaction_log_and_lifecycle_from_routing(self) -> None:
        assert producer_of(events_pb2.SurveyAnswered()) == "interaction-log"
        assert producer_of(events_pb2.InteractionCreated()) == "routing"
        assert producer_of(events_pb2.AgentLoggedIn()) == "routing"
        assert producer_of(events_pb2.TenantConfigChanged()) == "client-tenant"
        assert producer_of(events_pb2.ServiceLevelAlert()) == "sla"

    @pytest.mark.parametrize("topic", [INTERACTION_EVENTS, AGENT_EVENTS, SLA_ALERTS, TENANT_CONFIG])
    def test_each_topic_is_written_only_by_producers_it_lists(self, topic: TopicSpec) -> None:
        assert topic.writers
        assert set(topic.writers) <= set(PRODUCERS.values())


class TestProvenance:
    def test_the_right_producer_passes_and_any_other_is_refused(self) -> None:
        check = Provenance(None).check_event
        answer = events_pb2.SurveyAnswered(score=5)
        check(INTERACTION_EVENTS.name, new_event(answer, tenant_id="t", producer="interaction-log"))
        for claimed in ("routing", "x" * 10_000):
            with pytest.raises(Refused) as refused:
                check(INTERACTION_EVENTS.name, new_event(answer, tenant_id="t", producer=claimed))
            assert refused.value.reason == "wrong_producer"
            assert len(str(refused.value)) < 200  # never echoes unbounded input

    def test_an_event_type_on_a_topic_its_producer_does_not_write_is_refused(self) -> None:
        alert = new_event(events_pb2.ServiceLevelAlert(queue_id="q"), tenant_id="t", producer="sla")
        with pytest.raises(Refused):
            Provenance(None).check_event(INTERACTION_EVENTS.name, alert)
        Provenance(None).check_event(SLA_ALERTS.name, alert)

    def test_unregistered_topics_are_not_checked(self) -> None:
        event = new_event(events_pb2.InteractionEnded(), tenant_id="t", producer="test")
        Provenance(None).check_event("a-test-topic", event)


class TestRuntimeNeedsTheVerifyKeys:
    async def test_reading_the_configuration_topic_without_verify_keys_stops_the_service(self) -> None:
        runtime = ServiceRuntime("routing", ServiceSettings(kafka_bootstrap="127.0.0.1:9"))

        async def handler(event: events_pb2.Event) -> None:
            del event

        with pytest.raises(ConfigurationError, match="VAXEL_CONFIG_VERIFY_KEY_FILE"):
            runtime.consume([TENANT_CONFIG.name], handler)
        runtime.consume([INTERACTION_EVENTS.name], handler)  # an unsigned topic needs none
        await runtime.producer.stop()
