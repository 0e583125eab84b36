"""Retention: per-tenant days over the platform default, counted from the interaction's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vaxel_interaction_log.domain import InteractionRecord, LoggedEvent
from vaxel_interaction_log.domain.retention import RetentionPolicy, retained_from

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


class TestPolicy:
    def test_the_default_until_the_tenant_decides(self) -> None:
        policy = RetentionPolicy(400)
        assert policy.days_of("t") == 400
        assert policy.horizon("t", NOW) == days_ago(400)

    def test_a_shorter_setting_is_reported_a_longer_one_not(self) -> None:
        policy = RetentionPolicy(400)
        assert policy.set_tenant("t", 30) is True
        assert policy.days_of("t") == 30
        assert policy.set_tenant("t", 90) is False
        assert policy.set_tenant("t", 90) is False
        assert policy.days_of("other") == 400

    def test_zero_means_the_default_again(self) -> None:
        policy = RetentionPolicy(400)
        policy.set_tenant("t", 1000)
        assert policy.set_tenant("t", 0) is True  # back to 400: shorter
        assert policy.days_of("t") == 400

    def test_the_default_is_at_least_a_day(self) -> None:
        with pytest.raises(ValueError, match="at least one day"):
            RetentionPolicy(0)


class TestExpiry:
    @pytest.mark.parametrize(
        ("record", "expected"),
        [
            (InteractionRecord("i", "t", created_at=days_ago(50), wrapped_up_at=days_ago(20)), days_ago(20)),
            (InteractionRecord("i", "t", created_at=days_ago(50), ended_at=days_ago(49)), days_ago(49)),
            (InteractionRecord("i", "t", created_at=days_ago(50), abandoned_at=days_ago(48)), days_ago(48)),
            (InteractionRecord("i", "t", created_at=days_ago(50)), days_ago(50)),
            (
                InteractionRecord(
                    "i", "t", timeline=(LoggedEvent("e", "interaction.queued", "t", "i", days_ago(7)),)
                ),
                days_ago(7),
            ),
            (InteractionRecord("i", "t"), None),
        ],
    )
    def test_retention_counts_from_the_end(
        self, record: InteractionRecord, expected: datetime | None
    ) -> None:
        assert retained_from(record) == expected

    def test_expired_only_past_the_tenants_horizon(self) -> None:
        policy = RetentionPolicy(400)
        policy.set_tenant("short", 30)
        ended_long_ago = InteractionRecord("i", "short", created_at=days_ago(60), ended_at=days_ago(31))
        started_long_ago_ended_lately = InteractionRecord(
            "j", "short", created_at=days_ago(60), ended_at=days_ago(29)
        )
        assert policy.expired(ended_long_ago, NOW)
        assert not policy.expired(started_long_ago_ended_lately, NOW)
        assert not policy.expired(InteractionRecord("k", "other", created_at=days_ago(399)), NOW)
        assert policy.expired(InteractionRecord("k", "other", created_at=days_ago(401)), NOW)
