"""Forged records over the real broker (issue 17, fault 4): whoever can write to the broker cannot mint
an API key or forge survey answers and billable interaction events.

A key-state record of the right shape, written straight to the configuration topic unsigned, signed by a
key nobody trusts, or carrying a genuine record's signature over other bytes, is refused by routing, SLA
and interaction-log (dead-lettered, counted by reason) and its key stays UNAUTHENTICATED at all three,
while a key issued through client-tenant works. Interaction events whose envelope names another producer
than their type's are refused the same way.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from functools import partial

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.fixtures.platform import Metadata, eventually, onboard_tenant, sample, scrape, topic_records
from vaxel.conversation.v1 import conversation_pb2, conversation_pb2_grpc
from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.api_keys import digest
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_producer
from vaxel_common.publisher import key_of
from vaxel_common.signing import KEY_ID_HEADER, SIGNATURE_HEADER, RecordSigner
from vaxel_common.supervisor import Platform
from vaxel_common.topics import DEAD_LETTER, INTERACTION_EVENTS, TENANT_CONFIG
from vaxel_vocabulary.entities import ConfigEntity

pytestmark = pytest.mark.integration
READERS = ("routing", "interaction-log", "sla", "conversation")
SCOPES = ("config:read", "interactions:read", "reports:read")
Record = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers


def bearer(key: str) -> Metadata:
    return (("authorization", f"Bearer {key}"),)


def call(service: str, channels: dict[str, grpc.Channel], tenant_id: str, md: Metadata) -> grpc.StatusCode:
    """One read RPC of ``service`` with ``md``: its status code (OK when it answered)."""
    calls: dict[str, Callable[[], object]] = {
        "routing": lambda: routing_pb2_grpc.RoutingServiceStub(channels["routing"]).GetInteractionStatus(
            routing_pb2.GetInteractionStatusRequest(tenant_id=tenant_id, interaction_id=str(uuid.uuid4())),
            metadata=md,
            timeout=5,
        ),
        "interaction-log": lambda: interactions_pb2_grpc.InteractionLogServiceStub(
            channels["interaction-log"]
        ).GetInteraction(
            interactions_pb2.GetInteractionRequest(tenant_id=tenant_id, interaction_id=str(uuid.uuid4())),
            metadata=md,
            timeout=5,
        ),
        "sla": lambda: sla_pb2_grpc.SlaServiceStub(channels["sla"]).ListAlerts(
            sla_pb2.ListAlertsRequest(tenant_id=tenant_id), metadata=md, timeout=5
        ),
        "conversation": lambda: conversation_pb2_grpc.ConversationServiceStub(
            channels["conversation"]
        ).GetTranscript(
            conversation_pb2.GetTranscriptRequest(tenant_id=tenant_id, interaction_id=str(uuid.uuid4())),
            metadata=md,
            timeout=5,
        ),
    }
    try:
        calls[service]()
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def key_state_event(tenant_id: str, key_id: str, secret: str) -> events_pb2.Event:
    """A key state as client-tenant would publish it: active, every scope the test needs."""
    state = tenant_pb2.ApiKeyState(
        key_id=key_id, tenant_id=tenant_id, scopes=list(SCOPES), secret_sha256=digest(secret)
    )
    change = events_pb2.TenantConfigChanged(
        entity_type=ConfigEntity.API_KEY.value, entity_id=key_id, version=1
    )
    change.state.Pack(state)
    return new_event(change, tenant_id=tenant_id, producer="client-tenant")


def refused(platform: Platform, service: str, topic: str, reason: str) -> float:
    return sample(
        scrape(platform.processes[service].metrics_url),
        "vaxel_records_refused_total",
        service=service,
        topic=topic,
        reason=reason,
    )


def dead_letters_of(
    platform: Platform, topic: str, partition: int, offset: int
) -> list[events_pb2.DeadLetter]:
    found = []
    for record in topic_records(platform, DEAD_LETTER.name):
        letter = events_pb2.DeadLetter()
        letter.ParseFromString(record.value)
        if (letter.source_topic, letter.source_partition, letter.source_offset) == (topic, partition, offset):
            found.append(letter)
    return found


def genuine_headers(platform: Platform) -> list[tuple[str, bytes]]:
    """The signature headers of a record client-tenant really wrote on the configuration topic."""
    for record in topic_records(platform, TENANT_CONFIG.name):
        headers = [(k, v) for k, v in record.headers if k in (KEY_ID_HEADER, SIGNATURE_HEADER)]
        if len(headers) == 2:
            return headers
    raise AssertionError("client-tenant wrote no signed record")


def write_and_wait_refused(
    platform: Platform,
    topic: str,
    record: Record,
    readers: tuple[str, ...],
    reason: str,
) -> tuple[int, int]:
    """Write (key, value, headers) straight to ``topic``, as anyone with broker access could, and wait
    until each of ``readers`` has refused it for ``reason``; the record's partition and offset."""
    before = {s: refused(platform, s, topic, reason) for s in readers}
    key, value, headers = record
    producer = sync_producer(platform.kafka_bootstrap, "forger")
    try:
        sent = producer.send(topic, value, key=key, headers=headers).get(timeout=10)
    finally:
        producer.close()
    for service in readers:
        eventually(partial(_more, platform, service, topic, reason, before[service]))
    return sent.partition, sent.offset


@pytest.fixture(scope="module")
def tenant(platform: Platform, channels: dict[str, grpc.Channel]) -> tuple[str, Metadata]:
    return onboard_tenant(platform, channels, "forgery", "SE", "Europe/Stockholm", "sv", SCOPES)


class TestForgedKeyStates:
    def test_a_genuine_key_authenticates_at_every_reader(
        self, tenant: tuple[str, Metadata], channels: dict[str, grpc.Channel]
    ) -> None:
        tenant_id, md = tenant
        for service in READERS:
            code = eventually(partial(_authenticated, service, channels, tenant_id, md))
            assert code in {grpc.StatusCode.OK, grpc.StatusCode.NOT_FOUND}, (service, code)

    @pytest.mark.parametrize("forgery", ["unsigned", "unknown_key", "bad_signature"])
    def test_a_forged_key_state_is_refused_dead_lettered_and_its_key_never_works(
        self,
        forgery: str,
        platform: Platform,
        tenant: tuple[str, Metadata],
        channels: dict[str, grpc.Channel],
    ) -> None:
        tenant_id, _ = tenant
        key_id, secret = uuid.uuid4().hex[:12], secrets.token_urlsafe(32)
        event = key_state_event(tenant_id, key_id, secret)
        value, key = encode_event(event), key_of(TENANT_CONFIG, event)
        headers: list[tuple[str, bytes]] = []
        if forgery == "unknown_key":  # the attacker's own pair: well-formed, not trusted
            headers = RecordSigner(Ed25519PrivateKey.generate()).headers(TENANT_CONFIG.name, key, value)
        elif forgery == "bad_signature":  # a genuine signature, copied onto other bytes
            headers = genuine_headers(platform)
        sent = write_and_wait_refused(platform, TENANT_CONFIG.name, (key, value, headers), READERS, forgery)
        forged = bearer(f"vx_{key_id}_{secret}")
        for service in READERS:
            assert call(service, channels, tenant_id, forged) == grpc.StatusCode.UNAUTHENTICATED, service
        letters = eventually(lambda: _readers_in(dead_letters_of(platform, TENANT_CONFIG.name, *sent)))
        assert all(f"refused ({forgery})" in letter.reason for letter in letters)


class TestForgedInteractionEvents:
    @pytest.mark.parametrize(
        ("payload", "claimed"),
        [
            (events_pb2.SurveyAnswered(score=1, comment="forged"), "routing"),
            (events_pb2.InteractionCreated(queue_id="q-forged"), "interaction-log"),
            (events_pb2.InteractionEnded(reason="forged"), "billing-bot"),
        ],
        ids=["survey-answer-not-from-interaction-log", "usage-not-from-routing", "unknown-producer"],
    )
    def test_an_event_from_the_wrong_producer_is_refused(
        self,
        payload: object,
        claimed: str,
        platform: Platform,
        tenant: tuple[str, Metadata],
        channels: dict[str, grpc.Channel],
    ) -> None:
        tenant_id, md = tenant
        interaction_id = str(uuid.uuid4())
        event = new_event(payload, tenant_id=tenant_id, producer=claimed, interaction_id=interaction_id)  # type: ignore[arg-type]
        readers = ("interaction-log", "sla", "conversation", "integrations")
        record: Record = (key_of(INTERACTION_EVENTS, event), encode_event(event), [])
        sent = write_and_wait_refused(platform, INTERACTION_EVENTS.name, record, readers, "wrong_producer")
        letters = eventually(lambda: dead_letters_of(platform, INTERACTION_EVENTS.name, *sent) or _none())
        assert {letter.consumer for letter in letters} == set(readers)
        # Not applied: interaction-log knows no such interaction.
        assert call("interaction-log", channels, tenant_id, md) == grpc.StatusCode.NOT_FOUND
        log = interactions_pb2_grpc.InteractionLogServiceStub(channels["interaction-log"])
        with pytest.raises(grpc.RpcError) as missing:
            log.GetInteraction(
                interactions_pb2.GetInteractionRequest(tenant_id=tenant_id, interaction_id=interaction_id),
                metadata=md,
                timeout=5,
            )
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def _authenticated(
    service: str, channels: dict[str, grpc.Channel], tenant_id: str, md: Metadata
) -> grpc.StatusCode:
    code = call(service, channels, tenant_id, md)
    assert code != grpc.StatusCode.UNAUTHENTICATED, "the key has not replicated yet"
    return code


def _more(platform: Platform, service: str, topic: str, reason: str, before: float) -> None:
    now = refused(platform, service, topic, reason)
    assert now > before, f"{service}: refusals {now} not above {before} yet"


def _readers_in(letters: list[events_pb2.DeadLetter]) -> list[events_pb2.DeadLetter]:
    assert {letter.consumer for letter in letters} >= set(READERS), [letter.consumer for letter in letters]
    return letters


def _none() -> list[events_pb2.DeadLetter]:
    raise AssertionError("no dead letter yet")
