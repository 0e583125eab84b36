"""agents_for_many (domain/erlang_batch.py) gives agents_for's answers, interval by interval."""

from __future__ import annotations

import random

import pytest

from vaxel_sla.domain import erlang
from vaxel_sla.domain.erlang import ImpossibleTargetError, StaffingInputError, agents_for
from vaxel_sla.domain.erlang_batch import agents_for_many


@pytest.mark.parametrize(
    ("patience", "target", "threshold", "max_occupancy"),
    [
        (None, 0.8, 20, 1.0),
        (None, 0.95, 5, 0.85),
        (90.0, 0.8, 20, 1.0),
        (30.0, 0.5, 60, 1.0),
        (1e6, 0.9, 10, 1.0),
        (3600.0, 0.8, 0, 0.9),
    ],
)
def test_the_batch_equals_the_scalar_search(
    patience: float | None, target: float, threshold: float, max_occupancy: float
) -> None:
    rng = random.Random(f"{patience}-{target}")  # noqa: S311  (test data)
    calls = [0.0, 0.3] + [10 ** rng.uniform(-1, 3.3) for _ in range(150)]
    ahts = [rng.choice((60.0, 180.0, 240.5, 420.0, 1200.0)) for _ in calls]
    erlang._agents_for.cache_clear()
    batch = agents_for_many(
        calls,
        900,
        ahts,
        target_service_level=target,
        threshold_seconds=threshold,
        max_occupancy=max_occupancy,
        shrinkage=0.3,
        patience_seconds=patience,
    )
    for c, a, got in zip(calls, ahts, batch, strict=True):
        want = agents_for(
            c,
            900,
            a,
            target_service_level=target,
            threshold_seconds=threshold,
            max_occupancy=max_occupancy,
            shrinkage=0.3,
            patience_seconds=patience,
        )
        assert (got.agents, got.scheduled) == (want.agents, want.scheduled), (c, a)
        for name in ("traffic", "service_level", "asa_seconds", "occupancy", "abandon_probability"):
            assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-6, abs=1e-9), (name, c, a)


def test_bad_input_and_impossible_targets_are_the_scalar_errors() -> None:
    with pytest.raises(StaffingInputError) as bad:
        agents_for_many([10.0] * 10, 900, [-1.0] * 10)
    assert bad.value.field == "aht_seconds"
    with pytest.raises(ImpossibleTargetError) as impossible:
        agents_for_many([10.0] * 10, 900, [300.0] * 10, max_occupancy=1e-6)
    assert impossible.value.field == "max_occupancy"
    assert agents_for_many([], 900, []) == []
