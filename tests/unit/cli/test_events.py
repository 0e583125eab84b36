"""Events for people: personal data masked by allowlist, one readable line, topics by short name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.duration_pb2 import Duration

from vaxel.events.v1 import events_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_cli.events import MASK, NOT_PERSONAL, event_line, masked, topic_names
from vaxel_common.events import new_event
from vaxel_common.topics import INTERACTION_EVENTS, TENANT_CONFIG

AT = datetime(2026, 5, 4, 8, 30, 1, 250_000, tzinfo=UTC)


def created() -> events_pb2.Event:
    return new_event(
        events_pb2.InteractionCreated(
            queue_id="q-1",
            channel=types_pb2.CHANNEL_VOICE,
            language="sv-SE",
            customer_ref="cust-77",
            contact=types_pb2.Contact(phone_number="+46701740601"),
            subject="My invoice",
            priority=2,
            attributes={"text": "Hej, jag heter Anna"},
        ),
        tenant_id="t-1",
        producer="routing",
        interaction_id="i-1",
        occurred_at=AT,
    )


class TestMasking:
    def test_personal_data_is_masked_and_the_rest_kept(self) -> None:
        original = created()
        event = masked(original)
        payload = event.interaction_created
        assert payload.customer_ref == MASK
        assert payload.contact.phone_number == MASK
        assert payload.subject == MASK
        assert dict(payload.attributes) == {"text": MASK}
        assert (payload.queue_id, payload.language, payload.channel, payload.priority) == (
            "q-1",
            "sv-SE",
            types_pb2.CHANNEL_VOICE,
            2,
        )
        assert (event.event_id, event.tenant_id, event.interaction_id) == (
            original.event_id,
            "t-1",
            "i-1",
        )
        assert original.interaction_created.customer_ref == "cust-77"  # the input is left alone

    @pytest.mark.parametrize(
        ("payload", "hidden"),
        [
            (
                events_pb2.InteractionWrappedUp(disposition="solved", tags=["refund"], notes="Anna, +4670"),
                "notes",
            ),
            (events_pb2.SurveyAnswered(score=2, comment="Anna was rude"), "comment"),
            (events_pb2.CallbackRequested(queue_id="q-1", phone_number="+46701740601"), "phone_number"),
        ],
    )
    def test_free_text_and_numbers(self, payload: object, hidden: str) -> None:
        event = masked(new_event(payload, tenant_id="t-1", producer="test", interaction_id="i-1"))  # type: ignore[arg-type]
        line = event_line(event)
        assert f"{hidden}={MASK}" in line
        assert "Anna" not in line
        assert "+4670" not in line

    def test_every_string_field_of_every_payload_is_masked_unless_allowed(self) -> None:
        """A field added to the contract is masked until someone lists it as not personal."""
        for field in events_pb2.Event.DESCRIPTOR.oneofs_by_name["payload"].fields:
            if field.name == "tenant_config_changed":
                continue
            message_type = field.message_type
            assert message_type is not None
            for inner in message_type.fields:
                if inner.type != FieldDescriptor.TYPE_STRING or inner.name in NOT_PERSONAL:
                    continue
                event = events_pb2.Event(event_id="e", event_type="x", tenant_id="t")
                payload = getattr(event, field.name)
                if inner.is_repeated:
                    getattr(payload, inner.name).append("secret")
                else:
                    setattr(payload, inner.name, "secret")
                assert "secret" not in str(masked(event)), f"{field.name}.{inner.name}"

    def test_an_api_keys_secret_hash_never_shows(self) -> None:
        state = AnyMessage()
        state.Pack(tenant_pb2.ApiKeyState(key_id="k1", tenant_id="t-1", secret_sha256="ab" * 32))
        event = new_event(
            events_pb2.TenantConfigChanged(entity_type="api_key", entity_id="k1", version=1, state=state),
            tenant_id="t-1",
            producer="client-tenant",
        )
        unpacked = tenant_pb2.ApiKeyState()
        masked(event).tenant_config_changed.state.Unpack(unpacked)
        assert unpacked.secret_sha256 == MASK
        assert unpacked.key_id == "k1"

    def test_configuration_states_pass(self) -> None:
        state = AnyMessage()
        state.Pack(tenant_pb2.Queue(queue_id="q-1", name="Mobilsupport"))
        event = new_event(
            events_pb2.TenantConfigChanged(entity_type="queue", entity_id="q-1", version=3, state=state),
            tenant_id="t-1",
            producer="client-tenant",
        )
        queue = tenant_pb2.Queue()
        masked(event).tenant_config_changed.state.Unpack(queue)
        assert queue.name == "Mobilsupport"


class TestLine:
    def test_one_line_with_envelope_and_payload(self) -> None:
        line = event_line(masked(created()))
        assert "\n" not in line
        assert line.startswith("2026-05-04T08:30:01.250Z interaction.created tenant=t-1 interaction=i-1 ")
        assert "queue_id=q-1 channel=voice language=sv-SE" in line
        assert f"customer_ref={MASK}" in line
        assert f"contact.phone_number={MASK}" in line
        assert "priority=2" in line

    def test_timestamps_durations_and_enums(self) -> None:
        abandoned = new_event(
            events_pb2.InteractionAbandoned(queue_id="q-1", waited=Duration(seconds=42)),
            tenant_id="t-1",
            producer="routing",
            interaction_id="i-1",
            occurred_at=AT,
        )
        assert event_line(abandoned).endswith("queue_id=q-1 waited=42s")
        offered = events_pb2.InteractionOffered(offer_id="o-1", attempt=1)
        offered.expires_at.FromDatetime(AT + timedelta(seconds=15))
        line = event_line(new_event(offered, tenant_id="t-1", producer="routing", occurred_at=AT))
        assert "expires_at=2026-05-04T08:30:16Z" in line
        alert = events_pb2.ServiceLevelAlert(
            alert_id="a",
            kind=events_pb2.ServiceLevelAlert.KIND_BREACH,
            state=events_pb2.ServiceLevelAlert.STATE_RAISED,
            service_level=0.5,
        )
        line = event_line(new_event(alert, tenant_id="t-1", producer="sla", occurred_at=AT))
        assert "kind=breach state=raised service_level=0.5" in line

    def test_configuration_changes_say_what_changed(self) -> None:
        state = AnyMessage()
        state.Pack(tenant_pb2.Skill(skill_id="s-1", name="mobil"))
        event = new_event(
            events_pb2.TenantConfigChanged(entity_type="skill", entity_id="s-1", version=1, state=state),
            tenant_id="t-1",
            producer="client-tenant",
            occurred_at=AT,
        )
        assert event_line(masked(event)) == (
            "2026-05-04T08:30:01.250Z tenant.config_changed tenant=t-1 entity_type=skill entity_id=s-1 version=1"
        )


class TestTopics:
    def test_short_and_full_names(self) -> None:
        assert topic_names(["interactions", TENANT_CONFIG.name, "config"]) == [
            INTERACTION_EVENTS.name,
            TENANT_CONFIG.name,
        ]
        assert len(topic_names([])) == 4  # interactions, agents, config, alerts

    def test_unknown_and_non_event_topics(self) -> None:
        with pytest.raises(ValueError, match="unknown topic 'calls'"):
            topic_names(["calls"])
        with pytest.raises(ValueError, match="unknown topic"):
            topic_names(["vaxel.routing.inputs.v1"])  # RoutingInput records, not event envelopes
