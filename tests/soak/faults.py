"""The faults the soak injects, when, and how each one is done to the running platform.

A :class:`Fault` is planned by :func:`plan` from a seeded random generator (the seed is printed, so a
run is reproduced by giving it again); :class:`Injector` does it and measures the outage: from the
fault's start until every service answers SERVING on gRPC health again.
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import signal
import time
import uuid
from dataclasses import dataclass, field

from google.protobuf.any_pb2 import Any as AnyPb
from kafka import KafkaProducer

from vaxel.events.v1 import events_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_producer
from vaxel_common.supervisor import Platform, wait_serving
from vaxel_common.topics import (
    AGENT_EVENTS,
    INTERACTION_EVENTS,
    INTERACTION_INBOUND,
    ROUTING_INPUTS,
    SLA_ALERTS,
    TENANT_CONFIG,
)
from vaxel_vocabulary.entities import ConfigEntity

__all__ = [
    "CONSUMED_BY",
    "KINDS",
    "Fault",
    "Forgery",
    "Injected",
    "Injector",
    "Outage",
    "plan",
]

# Every topic a service consumes, and which services consume it (each dead-letters what it cannot use).
CONSUMED_BY: dict[str, tuple[str, ...]] = {
    INTERACTION_INBOUND.name: ("routing",),
    ROUTING_INPUTS.name: ("routing",),
    TENANT_CONFIG.name: ("routing", "interaction-log", "sla", "integrations"),
    INTERACTION_EVENTS.name: ("interaction-log", "sla", "integrations"),
    AGENT_EVENTS.name: ("interaction-log", "sla"),
    SLA_ALERTS.name: ("sla", "integrations"),
}
SERVICE_NAMES = ("client-tenant", "routing", "interaction-log", "sla", "integrations")
# Every fault of a full run, "<kind>:<target>".
KINDS = (
    *(f"kill:{name}" for name in SERVICE_NAMES),
    "pause:broker",
    "pause:routing",
    "poison:topics",
    "forge:records",
)
OVERSIZED_BYTES = 1_000_000  # just under the broker's and the producer's 1 MiB limit, with the envelope
_KEYS = {ROUTING_INPUTS.name: b"default", TENANT_CONFIG.name: b"soak/poison"}  # a live pool; compacted


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str  # kill, pause, poison, forge
    target: str  # a service, "broker", "topics" or "records"
    at: float  # seconds after the load started
    hold: float = 0.0  # how long a pause lasts

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.target}"


def plan(rng: random.Random, kinds: tuple[str, ...], seconds: float, lead: float = 3.0) -> list[Fault]:
    """``kinds`` in a random order, one per equal slot of ``seconds`` (after ``lead``), each at a random
    moment of the first half of its slot, so that it has recovered before the next one."""
    order = list(kinds)
    rng.shuffle(order)
    slot = (seconds - lead) / max(1, len(order))
    faults = []
    for n, name in enumerate(order):
        kind, target = name.split(":", 1)
        at = lead + n * slot + rng.uniform(0.05, 0.5) * slot
        hold = round(rng.uniform(2.0, 6.0), 2) if kind == "pause" else 0.0
        faults.append(Fault(kind, target, round(at, 2), hold))
    return faults


@dataclass(frozen=True, slots=True)
class Injected:
    """A record put on a topic on purpose: where it landed and which services must dead-letter it."""

    topic: str
    partition: int
    offset: int
    what: str  # oversized, malformed, wrong_type, future_schema
    consumers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Forgery:
    """Records that look right but come from no service: they must not be believed."""

    key_plaintext: str  # a key minted on the configuration topic for ``tenant_id``
    tenant_id: str
    interaction_id: str  # an interaction created by a producer that is not routing
    queue_id: str


@dataclass
class Outage:
    """One fault as done: when (``perf_counter``), how long until SERVING again, the errors clients saw."""

    fault: Fault
    started: float = 0.0
    ended: float = 0.0  # every service SERVING again
    recovery_seconds: float | None = None  # kill: to SERVING; pause: from resume to SERVING
    injecting_seconds: float = 0.0  # poison, forge: putting the records on the topics
    waited: dict[str, float] = field(default_factory=dict)  # service -> seconds until SERVING, after
    errors: dict[str, int] = field(default_factory=dict)  # "<action>:<code>" -> count


class Injector:
    """Does faults to ``platform``; a supervisor (the launcher's) restarts what is killed."""

    def __init__(self, platform: Platform, timeout: float = 120.0) -> None:
        self.platform = platform
        self.timeout = timeout
        self.injected: list[Injected] = []
        self.forgeries: list[Forgery] = []
        self._producer: KafkaProducer | None = None

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()

    def do(self, fault: Fault, victim: tuple[str, str] = ("", "")) -> Outage:
        """Do ``fault`` (blocking) and wait until the platform serves again; ``victim`` is the
        (tenant id, queue id) that forged records name."""
        outage = Outage(fault, started=time.perf_counter())
        if fault.kind == "kill":
            self._kill(fault.target, outage)
        elif fault.kind == "pause":
            self._pause(fault, outage)
        elif fault.kind == "poison":
            self._poison()
        elif fault.kind == "forge":
            self._forge(*victim)
        else:
            raise ValueError(f"unknown fault {fault.name}")
        if fault.kind in ("poison", "forge"):
            outage.injecting_seconds = round(time.perf_counter() - outage.started, 3)
        after = self._all_serving()
        outage.waited = outage.waited or after  # a pause measured its own wait
        outage.ended = time.perf_counter()
        if fault.kind != "kill" and outage.recovery_seconds is None:
            outage.recovery_seconds = round(outage.ended - outage.started - outage.injecting_seconds, 3)
        return outage

    def _kill(self, name: str, outage: Outage) -> None:
        held = self.platform.processes[name]
        process = held.process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + self.timeout
        while held.process is process:  # the supervisor starts a new process after its backoff
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} was not restarted")
            time.sleep(0.02)
        wait_serving(held.grpc_target, self.timeout)
        outage.recovery_seconds = round(time.perf_counter() - outage.started, 3)

    def _pause(self, fault: Fault, outage: Outage) -> None:
        if fault.target == "broker":
            assert self.platform.broker is not None
            pid = self.platform.broker.pid
        else:
            process = self.platform.processes[fault.target].process
            assert process is not None
            pid = process.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(fault.hold)
        finally:
            os.kill(pid, signal.SIGCONT)
        resumed = time.perf_counter()
        outage.waited = self._all_serving()
        outage.recovery_seconds = round(time.perf_counter() - resumed, 3)

    def _all_serving(self) -> dict[str, float]:
        """Wait until every service is SERVING; the seconds waited for each (0: it already was)."""
        return {
            name: round(wait_serving(proc.grpc_target, self.timeout), 3)
            for name, proc in self.platform.processes.items()
        }

    def _send(self, topic: str, value: bytes, what: str, key: bytes | None = None) -> None:
        if self._producer is None:
            self._producer = sync_producer(
                self.platform.kafka_bootstrap, "soak-injector", max_request_size=1_048_576
            )
        sent = self._producer.send(topic, key=key or _KEYS.get(topic), value=value).get(timeout=30)
        self.injected.append(Injected(topic, sent.partition, sent.offset, what, CONSUMED_BY[topic]))

    def _poison(self) -> None:
        """An oversized and a malformed record on every consumed topic."""
        for topic in CONSUMED_BY:
            self._send(topic, secrets.token_bytes(OVERSIZED_BYTES), "oversized")
            self._send(topic, b"\xff\x00soak: not a protobuf\xff" + secrets.token_bytes(32), "malformed")

    def _forge(self, tenant_id: str, queue_id: str) -> None:
        """Envelopes that lie (a payload of another type, a schema from the future) on every consumed
        topic; then a key minted for ``tenant_id`` and an interaction created by a stranger."""
        wrong = new_event(
            events_pb2.InteractionEnded(reason="forged"), tenant_id=tenant_id, producer="intruder"
        )
        wrong.event_type = "interaction.created"
        future = new_event(events_pb2.InteractionEnded(reason="forged"), tenant_id=tenant_id, producer="x")
        future.schema_version = 99
        for topic in CONSUMED_BY:
            self._send(topic, encode_event(wrong), "wrong_type")
            self._send(topic, encode_event(future), "future_schema")
        key_id, secret = uuid.uuid4().hex[:12], secrets.token_urlsafe(32)
        state = tenant_pb2.ApiKeyState(
            key_id=key_id,
            tenant_id=tenant_id,
            scopes=["config:read", "interactions:read", "reports:read"],
            secret_sha256=hashlib.sha256(secret.encode()).hexdigest(),
        )
        packed = AnyPb()
        packed.Pack(state)
        minted = new_event(
            events_pb2.TenantConfigChanged(
                entity_type=ConfigEntity.API_KEY.value, entity_id=key_id, version=1, state=packed
            ),
            tenant_id=tenant_id,
            producer="client-tenant",
        )
        interaction_id = f"forged-{uuid.uuid4().hex[:8]}"
        stranger = new_event(
            events_pb2.InteractionCreated(
                queue_id=queue_id, channel=types_pb2.CHANNEL_CHAT, language="sv-SE"
            ),
            tenant_id=tenant_id,
            producer="intruder",
            interaction_id=interaction_id,
        )
        assert self._producer is not None
        self._producer.send(
            TENANT_CONFIG.name,
            key=f"{ConfigEntity.API_KEY.value}/{key_id}".encode(),
            value=encode_event(minted),
        ).get(timeout=30)
        self._producer.send(
            INTERACTION_EVENTS.name, key=interaction_id.encode(), value=encode_event(stranger)
        ).get(timeout=30)
        self.forgeries.append(Forgery(f"vx_{key_id}_{secret}", tenant_id, interaction_id, queue_id))
