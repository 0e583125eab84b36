"""Per-tenant limits (fault 11 of issue 17) on the real platform: a tenant over its contract's rate is
refused RESOURCE_EXHAUSTED with a retry delay a client can read, while another tenant is served at the
same moment; a contract change raises the limit; an inbound record over the limit is delayed, not lost."""

from __future__ import annotations

import time
import uuid
from typing import cast

import grpc
import pytest
from google.rpc.error_details_pb2 import RetryInfo
from grpc_status import rpc_status
from kafka import KafkaConsumer, KafkaProducer

from tests.fixtures.platform import eventually, sample, scrape
from tests.fixtures.routing import (
    RoutedTenant,
    interaction_events,
    routed_tenant,
    set_contract_limits,
    submit,
)
from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.events import deterministic_id, new_event
from vaxel_common.supervisor import Platform
from vaxel_common.topics import DEAD_LETTER, INTERACTION_INBOUND

pytestmark = pytest.mark.integration

# Low enough that the bucket hardly refills during the test: 3 at once, then one every 5 s.
TIGHT = tenant_pb2.TenantLimits(submissions_per_second=0.2, burst=3, max_in_flight=50)
PERSONAL = "Ring Åsa on 070-123 45 67"  # what a refusal must never echo


def refusal_of(channels: dict[str, grpc.Channel], tenant: RoutedTenant) -> grpc.RpcError:
    """Submit until routing refuses (its replica applies the contract a moment after it is set)."""
    deadline = time.monotonic() + 20
    passed = 0
    while True:
        err = attempt(channels, tenant)
        if err is not None:
            assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err.details()
            return err
        passed += 1
        # Before the contract reaches routing the defaults (1,000 at once) hold: never refused.
        assert time.monotonic() < deadline, f"no refusal after {passed} submissions"
        time.sleep(0.1)


def attempt(channels: dict[str, grpc.Channel], tenant: RoutedTenant) -> grpc.RpcError | None:
    """None when the submission is taken, else its error."""
    try:
        submit(channels, tenant, subject=PERSONAL, customer_ref=PERSONAL)
    except grpc.RpcError as err:
        return err
    return None


def refused_total(platform: Platform, reason: str) -> float:
    return sample(
        scrape(platform.processes["routing"].metrics_url),
        "vaxel_routing_submissions_refused_total",
        reason=reason,
    )


def test_a_tenant_over_its_rate_is_refused_with_a_retry_delay_while_another_is_served(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    noisy = routed_tenant(platform, channels)
    quiet = routed_tenant(platform, channels)
    refused_before = refused_total(platform, "rate")
    set_contract_limits(platform, channels, noisy, TIGHT)

    err = refusal_of(channels, noisy)
    details = str(err.details())
    assert "rate limit (0.2 per second)" in details
    assert PERSONAL not in details
    call = cast("grpc.Call", err)  # a sync stub's error is the call itself
    retry_ms = next(int(str(v)) for k, v in call.trailing_metadata() or () if k == "retry-after-ms")
    assert 0 < retry_ms <= 5000  # at most one token's refill at 0.2/s
    status = rpc_status.from_call(call)
    assert status is not None
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
    retry = RetryInfo()
    assert [d.Unpack(retry) for d in status.details if d.Is(RetryInfo.DESCRIPTOR)] == [True]
    assert retry.retry_delay.ToMilliseconds() == retry_ms

    # The same moment: the noisy tenant is still refused, the quiet one is served every time.
    for _ in range(10):
        assert submit(channels, quiet).interaction_id
    with pytest.raises(grpc.RpcError) as again:
        submit(channels, noisy)
    assert again.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused_total(platform, "rate") >= refused_before + 2


def test_a_contract_change_raises_the_limit(platform: Platform, channels: dict[str, grpc.Channel]) -> None:
    tenant = routed_tenant(platform, channels)
    set_contract_limits(platform, channels, tenant, TIGHT)
    refusal_of(channels, tenant)

    set_contract_limits(
        platform, channels, tenant, tenant_pb2.TenantLimits(submissions_per_second=1000, burst=1000)
    )
    # Once routing applies the new version the bucket is 1,000 deep: 20 at once pass, where the old
    # contract (3 at once, one per 5 s) refused all but one at most.
    eventually(lambda: submit(channels, tenant), timeout=20)
    for _ in range(20):
        assert submit(channels, tenant).interaction_id


def test_submissions_beyond_the_tenant_s_in_flight_limit_are_refused(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = routed_tenant(platform, channels)
    set_contract_limits(
        platform,
        channels,
        tenant,
        tenant_pb2.TenantLimits(submissions_per_second=1000, burst=1000, max_in_flight=1),
    )
    stub = routing_pb2_grpc.RoutingServiceStub(channels["routing"])

    def wave() -> list[tuple[grpc.StatusCode, str]]:
        """20 submissions at once (each waits for its routing-log round trip): their codes and details."""
        calls = [
            stub.SubmitInteraction.future(
                routing_pb2.SubmitInteractionRequest(
                    queue_id=tenant.queue_id,
                    channel=types_pb2.CHANNEL_VOICE,
                    idempotency_key=uuid.uuid4().hex,
                ),
                metadata=tenant.key,
                timeout=10,
            )
            for _ in range(20)
        ]
        answers = [(call.code(), str(call.details() or "")) for call in calls]
        codes = {code for code, _ in answers}
        assert codes <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
        assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes  # else routing has not the contract yet
        return answers

    answers = eventually(wave, timeout=20)
    assert grpc.StatusCode.OK in {code for code, _ in answers}, "one at a time is served"
    refusals = [details for code, details in answers if code == grpc.StatusCode.RESOURCE_EXHAUSTED]
    assert all("limit of 1 submissions in flight" in details for details in refusals)
    # Every place is given back: one at a time, submissions pass again.
    for _ in range(3):
        assert submit(channels, tenant).interaction_id


def test_an_inbound_record_over_the_limit_is_delayed_not_dead_lettered(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = routed_tenant(platform, channels)
    set_contract_limits(
        platform, channels, tenant, tenant_pb2.TenantLimits(submissions_per_second=0.1, burst=1)
    )
    refusal_of(channels, tenant)  # the bucket is empty: the next token is up to 10 s away
    refused_before = refused_total(platform, "rate")
    event_id = str(uuid.uuid4())
    created = new_event(
        events_pb2.InteractionCreated(
            queue_id=tenant.queue_id, channel=types_pb2.CHANNEL_VOICE, customer_ref="inbound-limited"
        ),
        tenant_id=tenant.tenant_id,
        producer="channel-connector",
        event_id=event_id,
    )
    producer = KafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
    try:
        producer.send(
            INTERACTION_INBOUND.name, key=tenant.tenant_id.encode(), value=created.SerializeToString()
        )
        producer.flush(timeout=10)
    finally:
        producer.close()
    interaction_id = deterministic_id("interaction", tenant.tenant_id, f"inbound:{event_id}")
    found = interaction_events(
        platform,
        {interaction_id},
        lambda events: any(e.event_type == "interaction.created" for e in events),
        timeout=40,
    )
    assert any(e.event_type == "interaction.created" for e in found), "the delayed record was routed"
    assert refused_total(platform, "rate") > refused_before, "the record was held back first"
    assert not dead_letters_naming(platform, event_id), "a limited record is delayed, never dead-lettered"


def dead_letters_naming(platform: Platform, event_id: str) -> list[bytes]:
    """Dead letters whose bytes hold ``event_id`` (a dead letter keeps an excerpt of its record)."""
    consumer = KafkaConsumer(
        DEAD_LETTER.name,
        bootstrap_servers=platform.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
    )
    try:
        return [r.value for r in consumer if event_id.encode() in r.value]
    finally:
        consumer.close()
