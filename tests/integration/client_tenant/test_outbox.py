"""Fault 2 of issue 17: a saved change is always published, and a retried write is answered once.

The relay is stalled with a test-only setting (as if the process died after every commit), the process
is killed with SIGKILL, and after a restart the configuration topic equals the store. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from tests.fixtures.client_tenant import SPEC, Server, create_tenant_request, own_client_tenant
from tests.fixtures.platform import eventually, sample, scrape, tenant_events
from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.db import connect
from vaxel_common.supervisor import Platform
from vaxel_common.topics import TENANT_CONFIG

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ct.sqlite3'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def stalled(platform: Platform, tmp_path: Path, database_url: str) -> Iterator[Server]:
    env = {
        "VAXEL_CLIENT_TENANT_OUTBOX_RELAY_PAUSED": "true",
        "VAXEL_CLIENT_TENANT_PUBLISH_WAIT_SECONDS": "0.2",
    }
    with own_client_tenant(platform, tmp_path / "ct", database_url, env) as server:
        yield server


def queue_request(tenant_id: str, name: str, key: str = "") -> tenant_pb2.CreateQueueRequest:
    return tenant_pb2.CreateQueueRequest(
        tenant_id=tenant_id, name=name, channels=[types_pb2.CHANNEL_VOICE], language="sv", idempotency_key=key
    )


def topic_queues(server: Server, tenant_id: str) -> dict[str, tuple[int, str]]:
    """The tenant's queues as the configuration topic has them: id -> (version, name), tombstones applied."""
    latest: dict[str, tuple[int, tenant_pb2.Queue | None]] = {}
    for event in tenant_events(server.platform, TENANT_CONFIG.name, {tenant_id}):
        change = event.tenant_config_changed
        if change.entity_type != "queue":
            continue
        held = latest.get(change.entity_id)
        if held is not None and held[0] >= change.version:
            continue
        state = tenant_pb2.Queue()
        latest[change.entity_id] = (change.version, None if change.deleted else state)
        if not change.deleted:
            assert change.state.Unpack(state)
    return {qid: (v, q.name) for qid, (v, q) in latest.items() if q is not None}


def test_kill_between_commit_and_publish_loses_nothing(stalled: Server) -> None:
    md = stalled.md
    tenant_id = stalled.admin.CreateTenant(
        create_tenant_request("Outboxed"), metadata=md, timeout=10
    ).tenant.tenant_id
    made = [
        stalled.tenants.CreateQueue(queue_request(tenant_id, f"Q{i}"), metadata=md).queue for i in range(3)
    ]
    stalled.tenants.UpdateQueue(
        tenant_pb2.UpdateQueueRequest(
            tenant_id=tenant_id,
            queue=tenant_pb2.Queue(queue_id=made[0].queue_id, name="Renamed"),
            update_mask=field_mask_pb2.FieldMask(paths=["name"]),
        ),
        metadata=md,
    )
    stalled.tenants.DeleteQueue(
        tenant_pb2.DeleteQueueRequest(tenant_id=tenant_id, queue_id=made[2].queue_id), metadata=md
    )
    assert tenant_events(stalled.platform, TENANT_CONFIG.name, {tenant_id}) == [], "the relay is stalled"
    expected = {q.queue_id: (q.version, q.name) for q in stalled.stored_queues(tenant_id)}
    assert sorted(name for _, name in expected.values()) == ["Q1", "Renamed"]

    assert stalled.platform.stop_service(SPEC.name, signal.SIGKILL) == -signal.SIGKILL
    stalled.restart({"VAXEL_CLIENT_TENANT_OUTBOX_RELAY_PAUSED": "false"})

    def agrees() -> None:
        assert topic_queues(stalled, tenant_id) == expected

    eventually(agrees, timeout=30)
    tenant_states = [
        e
        for e in tenant_events(stalled.platform, TENANT_CONFIG.name, {tenant_id})
        if e.tenant_config_changed.entity_type == "tenant"
    ]
    assert len({e.event_id for e in tenant_states}) == 1


def test_idempotency_key(stalled: Server) -> None:
    md = stalled.md
    first = stalled.admin.CreateTenant(create_tenant_request("Retried", key="t-1"), metadata=md).tenant
    again = stalled.admin.CreateTenant(create_tenant_request("Retried", key="t-1"), metadata=md).tenant
    assert again == first
    queue = stalled.tenants.CreateQueue(queue_request(first.tenant_id, "Support", "q-1"), metadata=md).queue
    assert (
        stalled.tenants.CreateQueue(queue_request(first.tenant_id, "Support", "q-1"), metadata=md).queue
        == queue
    )
    assert stalled.queue_names(first.tenant_id) == ["Support"]
    with pytest.raises(grpc.RpcError) as err:
        stalled.tenants.CreateQueue(queue_request(first.tenant_id, "Sales", "q-1"), metadata=md)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert str(err.value.details()).startswith("idempotency_key:")
    assert stalled.queue_names(first.tenant_id) == ["Support"]
    # Keys are per RPC: the same key on another RPC is another write.
    assert (
        stalled.tenants.CreateSkill(
            tenant_pb2.CreateSkillRequest(tenant_id=first.tenant_id, name="Billing", idempotency_key="q-1"),
            metadata=md,
        ).skill.name
        == "Billing"
    )
    issue = tenant_pb2.IssueApiKeyRequest(
        tenant_id=first.tenant_id, scopes=["config:read"], idempotency_key="k-1"
    )
    key = stalled.admin.IssueApiKey(issue, metadata=md)
    replay = stalled.admin.IssueApiKey(issue, metadata=md)
    assert key.api_key
    assert replay.key_id == key.key_id
    assert replay.api_key == "", "the secret is shown once and never kept for a replay"


def test_the_unpublished_backlog_is_measured(stalled: Server) -> None:
    def pending() -> float:
        url = stalled.platform.processes[SPEC.name].metrics_url
        return sample(scrape(url), "vaxel_client_tenant_outbox_pending_events")

    md = stalled.md
    tenant_id = stalled.admin.CreateTenant(
        create_tenant_request("Backlogged"), metadata=md, timeout=10
    ).tenant.tenant_id
    for i in range(2):
        stalled.tenants.CreateQueue(queue_request(tenant_id, f"Q{i}"), metadata=md)
    db = connect(stalled.database_url)
    try:
        row = db.fetchone("SELECT COUNT(*) FROM config_outbox WHERE published_at IS NULL", ())
    finally:
        db.close()
    unpublished = int(row[0]) if row else 0
    assert unpublished >= 3, "the tenant and its two queues at least"

    def shows_backlog() -> None:
        assert pending() == unpublished

    eventually(shows_backlog, timeout=10)
    assert stalled.platform.stop_service(SPEC.name, signal.SIGKILL) == -signal.SIGKILL
    stalled.restart({"VAXEL_CLIENT_TENANT_OUTBOX_RELAY_PAUSED": "false"})

    def drained() -> None:
        assert pending() == 0
        assert tenant_events(stalled.platform, TENANT_CONFIG.name, {tenant_id})

    eventually(drained, timeout=30)
    failures = sample(
        scrape(stalled.platform.processes[SPEC.name].metrics_url),
        "vaxel_client_tenant_outbox_publish_failures_total",
    )
    assert failures == 0, "the broker took every batch"
