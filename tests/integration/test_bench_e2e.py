"""``make bench``'s end-to-end harness, run small against the session platform: every stage is measured
and the results are written (a smoke test of the harness, not a figure: speed is make bench's job)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts._bench_results import SCHEMA_VERSION, Results
from scripts._e2e_analysis import LATENCIES, STAGES
from scripts.bench_e2e import E2eSettings, run_e2e
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration

TINY = E2eSettings(
    rates=(20,),
    seconds=3.0,
    warmup=0.5,
    drain_seconds=15.0,
    settle_seconds=10.0,
    search_steps=0,
    tenants=1,
    agents_per_tenant=5,
    raw_records=2000,
    idle_seconds=1.5,
)


async def test_a_tiny_load_measures_every_stage_and_writes_the_results(
    platform: Platform, tmp_path: Path
) -> None:
    e2e = await run_e2e(platform, TINY, tmp_path)
    written = Results(e2e=e2e).write(tmp_path)

    (step,) = e2e["steps"]
    assert step["rate"] == 20
    assert step["kind"] == "fixed"
    assert 30 <= step["submitted"] <= 70  # 20/s for 3 s
    assert step["drained"], step["reasons"]
    assert set(step["throughput_per_s"]) == set(STAGES)
    assert all(value > 0 for value in step["throughput_per_s"].values()), step["throughput_per_s"]
    assert set(step["latency_ms"]) == set(LATENCIES)
    for name, figures in step["latency_ms"].items():
        assert figures["n"] > 0, name
        assert 0 < figures["p50"] <= figures["p95"] <= figures["p99"], (name, figures)
    offer, wrapped = step["latency_ms"]["submit_to_offer"], step["latency_ms"]["submit_to_wrapped_up"]
    assert offer["p50"] < wrapped["p50"]  # an offer comes before its wrap-up
    for name in ("routing", "interaction-log", "sla", "client-tenant", "broker", "bench-client"):
        assert step["processes"][name]["rss_peak_mb"] > 0, name
    assert step["processes"]["routing"]["cpu_seconds"] > 0
    assert step["cpu_cost"]["platform_cpu_ms_per_interaction"] > 0
    assert "routing" in e2e["idle_cpu_percent"]
    assert "vaxel.routing.inputs.v1" in step["consumer_lag_max"]["routing"]
    # submit, accept, end, wrap-up inputs plus created, queued, offered, accepted, connected, ended,
    # wrapped-up events at least
    assert step["records_per_interaction"] >= 8
    assert step["sustained"] is (not step["reasons"])

    assert e2e["raw_broker"]["produce_and_consume_per_s"] > 0
    assert e2e["raw_broker"]["record_bytes"] > 50
    if e2e["highest_sustained_per_s"]:
        assert e2e["ratio"]["value"] > 0

    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["e2e"]["steps"][0]["submitted"] == step["submitted"]
    assert "## End to end" in written
    assert (tmp_path / "bench.md").read_text() == written
    assert (tmp_path / "latency_vs_load.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
