"""Routing's configuration replica and intake."""

from __future__ import annotations

import pytest

from vaxel_common.errors import InvalidArgument, NotFound
from vaxel_routing.domain import Intake, QueueConfig, QueueReplica, Submission

CHAT = 2


def queue(version: int = 1, tenant: str = "t1") -> QueueConfig:
    return QueueConfig("q1", tenant, "sv-SE", "Europe/Stockholm", frozenset({CHAT}), version)


class TestReplica:
    def test_keeps_the_highest_version(self) -> None:
        replica = QueueReplica()
        assert replica.apply(queue(2))
        assert not replica.apply(queue(1))
        assert not replica.apply(queue(2)), "a redelivery changes nothing"
        assert replica.queue("t1", "q1").version == 2

    def test_other_tenant_sees_nothing(self) -> None:
        replica = QueueReplica()
        replica.apply(queue())
        with pytest.raises(NotFound):
            replica.queue("t2", "q1")

    def test_tombstone_removes_older_versions_only(self) -> None:
        replica = QueueReplica()
        replica.apply(queue(3))
        replica.remove("q1", 2)
        assert len(replica) == 1
        replica.remove("q1", 3)
        assert len(replica) == 0


class TestIntake:
    def test_positions_grow_and_idempotency_key_repeats_the_answer(self) -> None:
        replica = QueueReplica()
        replica.apply(queue())
        intake = Intake(replica)
        first = intake.submit(Submission("t1", "q1", CHAT, "sv-SE", "k1"))
        second = intake.submit(Submission("t1", "q1", CHAT, "sv-SE", "k2"))
        again = intake.submit(Submission("t1", "q1", CHAT, "sv-SE", "k1"))
        assert (first.position, second.position) == (1, 2)
        assert again == first.__class__(first.interaction_id, first.position, new=False)

    def test_channel_not_served(self) -> None:
        replica = QueueReplica()
        replica.apply(queue())
        with pytest.raises(InvalidArgument) as err:
            Intake(replica).submit(Submission("t1", "q1", 1, "sv-SE"))
        assert err.value.field == "channel"
