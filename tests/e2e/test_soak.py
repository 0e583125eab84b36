"""One short soak scenario in ``make test``, so the machinery of ``make soak`` cannot rot: its own
platform under the launcher's supervision, chats over two tenants, routing killed with SIGKILL and
poison records on every consumed topic at seeded moments, then the independent history check."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soak.run import SoakSettings, run_soak

pytestmark = pytest.mark.e2e


def test_a_short_soak_loses_nothing_and_recovers(tmp_path: Path) -> None:
    settings = SoakSettings(
        seed=17,
        seconds=24.0,
        rate=8.0,
        tenants=2,
        agents_per_tenant=3,
        kinds=("kill:routing", "poison:topics"),
        drain_seconds=60.0,
    )
    report = run_soak(settings, tmp_path)

    history = report["history"]
    # 192 submitted, less those refused while routing was down (10-20 s on a busy machine)
    assert history["acknowledged"] > 40, "too little load got through to test anything"
    for count in ("lost", "duplicated", "double_assigned", "unfinished", "mismatched", "not_dead_lettered"):
        assert history[count] == 0, (count, history["examples"])
    faults = {f["fault"]: f for f in report["faults"]}
    assert set(faults) == {"kill:routing", "poison:topics"}
    assert faults["kill:routing"]["recovery_seconds"] is not None
    # the outage was seen by clients, and its errors are the retryable kind, never INVALID_ARGUMENT & co.
    codes = {label.split(":")[1] for label in faults["kill:routing"]["client_errors"]}
    assert codes, "routing was killed under load but no client noticed"
    assert codes <= {"UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "CANCELLED"}, codes
    assert report["injected_records"] == 12  # an oversized and a malformed record on each of 6 topics
