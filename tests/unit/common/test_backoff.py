"""The launcher's restart delay: 0.5 s doubling to 30 s."""

from __future__ import annotations

from vaxel_common.supervisor import Backoff


def test_backoff_doubles_from_initial_up_to_the_maximum() -> None:
    backoff = Backoff()
    assert [backoff.delay(n) for n in range(1, 9)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff.delay(1000) == 30.0


def test_backoff_custom_bounds() -> None:
    assert [Backoff(initial=0.1, maximum=0.3).delay(n) for n in (1, 2, 3)] == [0.1, 0.2, 0.3]
